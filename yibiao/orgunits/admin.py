from django.contrib import admin

from .models import OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    """Read-only: the tree comes from the division table and `yibiao` commands. Registered
    so that every org-unit field in the admin is a search (autocomplete_fields) by name,
    code prefix or pinyin initials rather than a list of 45,000."""

    search_fields = ("name", "^code", "^initials", "full_name")
    list_display = ("code", "name", "level", "full_name")
    list_filter = ("level",)

    def has_add_permission(self, request: object) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:  # noqa: ARG002
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:  # noqa: ARG002
        return False
