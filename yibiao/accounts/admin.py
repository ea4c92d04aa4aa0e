from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Department, User


@admin.register(User)
class YibiaoUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("yibiao", {"fields": ("display_name", "role", "org_unit", "department")}))
    add_fieldsets = (*UserAdmin.add_fieldsets,
                     ("yibiao", {"fields": ("display_name", "role", "org_unit", "department")}))
    list_display = ("username", "display_name", "role", "org_unit", "department", "is_active")
    list_filter = ("role", "is_active")
    # A search over the whole tree (OrgUnitAdmin.search_fields), not a raw id to know.
    autocomplete_fields = ("org_unit",)


admin.site.register(Department)
