"""The ledger (台账): people, households and places, every fact time-versioned.

Facts are appended, never updated: each row says which element of which subject took
which value from which date, who recorded it, when and from what source. Reading "as of"
a date takes, per subject and element, the row with the latest valid_from on or before
that date (ties: the latest recorded). Person/Household/Place rows hold identity and a
cache of current values for lists and search; PersonState holds each person's current
values for roll-ups, kept exact by every write path (state.py); the facts are the truth. See
docs/ledger-storage.md for why reads of a community as of a date stay fast.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectKind(models.TextChoices):
    PERSON = "person", _("人员")
    HOUSEHOLD = "household", _("家庭户")
    PLACE = "place", _("房屋")


class Source(models.TextChoices):
    IMPORT = "import", _("导入")
    ENTRY = "entry", _("录入")
    DERIVED = "derived", _("推算")
    COMPLETION = "completion", _("报表补录")
    DEMO = "demo", _("演示数据")
    RETENTION = "retention", _("到期删除")
    TRANSFER = "transfer", _("迁入申请")
    UNDO = "undo", _("撤销")


class Person(models.Model):
    """One natural person, keyed by ID number (one person, one record)."""

    # Unique by a constraint, not unique=True, which on PostgreSQL adds a second
    # (varchar_pattern_ops) index no query uses; the search matches the tail of the number.
    id_number = models.CharField(_("公民身份号码"), max_length=18)
    # Current-value cache for lists and search; rewritten with every fact appended.
    name = models.CharField(_("姓名"), max_length=50)
    name_initials = models.CharField(_("姓名拼音首字母"), max_length=20)
    # Indexed first in (org_unit, name) below.
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit", on_delete=models.PROTECT, related_name="people", null=True, db_index=False
    )
    household = models.ForeignKey(
        "Household", on_delete=models.SET_NULL, related_name="current_members", null=True
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        # Every index is paid for by each person an import writes: five, not ten (issue 17).
        # A name is searched for anywhere in it (LIKE '%…%', which no btree serves) within
        # the units in scope, listed by unit and name; initials by their start.
        indexes = [
            models.Index(fields=["org_unit", "name"]),
            models.Index(fields=["name_initials"], name="person_initials", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [models.UniqueConstraint(fields=["id_number"], name="person_id_number_unique")]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """A family household. Its 户号 is the community's own numbering (001, 3-2-101): unique
    within a community, not across them (scope.community_code of its unit)."""

    number = models.CharField(_("户号"), max_length=30)
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit", on_delete=models.PROTECT, related_name="households"
    )
    community_code = models.CharField(max_length=12)
    address = models.CharField(_("家庭住址"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("家庭户")
        verbose_name_plural = _("家庭户")
        constraints = [
            models.UniqueConstraint(fields=["community_code", "number"], name="household_number_in_community"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.community_code and self.org_unit_id:
            self.community_code = self.org_unit.code[:12]
        super().save(*args, **kwargs)


class Place(models.Model):
    address = models.CharField(_("房屋地址"), max_length=200)
    org_unit = models.ForeignKey("orgunits.OrgUnit", on_delete=models.PROTECT, related_name="places")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "address"], name="place_unique_address")
        ]

    def __str__(self) -> str:
        return self.address


class Residence(models.Model):
    """Where a person lived, in which household, with which relation to its head, when.

    A move closes the open interval (valid_to) and opens a new one; the old row stays,
    so past periods still see the person where they were.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="residences")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residences", null=True, blank=True
    )
    org_unit = models.ForeignKey("orgunits.OrgUnit", on_delete=models.PROTECT, related_name="+")
    org_code = models.CharField(max_length=15)
    relation_to_head = models.CharField(_("与户主关系"), max_length=4, blank=True)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    write_id = models.BigIntegerField(null=True, blank=True)  # as Fact.write_id

    class Meta:
        indexes = [
            models.Index(fields=["org_code", "valid_from"]),
            models.Index(fields=["household", "valid_from"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.org_code} {self.valid_from}–{self.valid_to or ''}"


class Fact(models.Model):
    subject_kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField()
    element = models.CharField(_("数据元"), max_length=80)
    # Canonical text (ISO dates, code values, "1"/"0"); NULL once erased by retention.
    value = models.TextField(_("值"), null=True, blank=True)  # noqa: DJ001 NULL = erased, "" = typed empty
    valid_from = models.DateField(_("生效日期"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    # No database constraint or index: checking a foreign key on each of a million imported
    # facts cost PostgreSQL more than writing them, and facts are never looked up by who
    # recorded them (Django still sets it to NULL when a user is deleted).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_constraint=False, db_index=False,
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    # The community (or grid) the subject belonged to when recorded: scope and partitioning.
    org_code = models.CharField(max_length=15, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    # The undoable write (LedgerWrite) this fact belongs to: written by it, or reversing it
    # (source "undo"). No index: a write's facts are found by their subjects.
    write_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("事实")
        verbose_name_plural = _("事实")
        indexes = [
            models.Index(
                fields=["subject_kind", "subject_id", "element", "valid_from"],
                name="fact_asof",
            ),
            models.Index(fields=["element", "valid_from"], name="fact_element"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind}:{self.subject_id} {self.element}={self.value!r} @{self.valid_from}"


class PersonState(models.Model):
    """One row per person: where they live now and their latest stored values.

    Derived from the facts and residences, never the truth: the ledger's write paths keep
    it exact (ledger/state.py) and it can always be rebuilt. It is the person as of any
    date on or after `changed_on`, so a roll-up of a recent period reads one row per
    resident instead of picking latest values out of every fact.
    """

    # No database constraint: checking it on each row an import writes cost PostgreSQL more
    # than the rows themselves (as for Fact.recorded_by); Django still deletes the state
    # with its person.
    person = models.OneToOneField(Person, on_delete=models.CASCADE, primary_key=True, related_name="state",
                                  db_constraint=False)
    org_code = models.CharField(max_length=15, blank=True)  # of the open residence; "" when none
    household_id = models.BigIntegerField(null=True, blank=True)  # of the open residence
    id_number = models.CharField(max_length=18)
    # element code -> latest stored value as of date.max; erased (NULL) values absent; the
    # open residence's relation_to_head as people_as_of gives it.
    values = models.JSONField(default=dict)
    # The latest valid_from / valid_to among the person's facts and residences.
    changed_on = models.DateField()
    # What an import's row for this person was (records.row_digest), set when that import
    # wrote this state: a state row is only ever replaced, never updated, so any later
    # change to the person clears it. The same row again is then known unchanged without
    # being validated or compared value by value (issue 17).
    row_digest = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001 NULL = none

    class Meta:
        indexes = [models.Index(fields=["org_code"], name="personstate_org"),
                   models.Index(fields=["changed_on"], name="personstate_changed")]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.org_code} {self.changed_on}"


class EditConflict(models.Model):
    """A save refused because someone else saved first: the loser's values are kept here."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="conflicts")
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    based_on_version = models.PositiveIntegerField()
    current_version = models.PositiveIntegerField()
    attempted_values = models.JSONField()
    at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.person_id} v{self.based_on_version}→v{self.current_version}"


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认迁入")
    DECLINED = "declined", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")


class Transfer(models.Model):
    """迁入申请: a community registering someone who lives in another community.

    Nobody silently takes over another community's resident: the row typed or imported is
    kept here, and the resident's current community (or its township) confirms or declines.
    A confirmation closes the old residence and opens the new one (ledger.transfers).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="transfers")
    from_unit = models.ForeignKey("orgunits.OrgUnit", on_delete=models.PROTECT, related_name="+")
    from_code = models.CharField(max_length=15, db_index=True)  # scope of who decides
    to_unit = models.ForeignKey("orgunits.OrgUnit", on_delete=models.PROTECT, related_name="+")
    household_number = models.CharField(_("户号"), max_length=30, blank=True)
    relation_to_head = models.CharField(_("与户主关系"), max_length=4, blank=True)
    # The row as validated (element -> canonical value): written on confirmation.
    values = models.JSONField(default=dict)
    valid_from = models.DateField(_("迁入日期"))
    source = models.CharField(max_length=12, choices=Source.choices)
    origin = models.CharField(_("来源说明"), max_length=200, blank=True)  # file and row, or form
    status = models.CharField(_("状态"), max_length=10, choices=TransferStatus.choices,
                              default=TransferStatus.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("迁入申请")
        verbose_name_plural = _("迁入申请")
        ordering = ["-requested_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["person", "to_unit"], condition=models.Q(status="pending"),
            name="transfer_one_pending_per_destination")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.from_code} → {self.to_unit_id} ({self.status})"


class WriteKind(models.TextChoices):
    IMPORT = "import", _("导入台账")
    HOUSEHOLD = "household", _("入户登记")


class LedgerWrite(models.Model):
    """An import or a new household's registration, undoable for a day (records.undo_write).

    The facts and residences it wrote carry its id (`write_id`); undoing it appends
    reversing facts and residences (source "undo") so the ledger as of now is as before,
    and history keeps both. `key` is the upload a web import came from: the same upload
    is never imported twice.
    """

    kind = models.CharField(_("类别"), max_length=10, choices=WriteKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="+")
    org_unit = models.ForeignKey("orgunits.OrgUnit", on_delete=models.PROTECT, related_name="+")
    org_code = models.CharField(max_length=15, db_index=True)
    label = models.CharField(_("名称"), max_length=255, blank=True)  # the file, or the household number
    household = models.ForeignKey(Household, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="writes")
    valid_from = models.DateField()
    key = models.CharField(max_length=64, null=True, blank=True, unique=True)  # noqa: DJ001 NULL = none
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    # What undoing needs: the people it changed, the residences it closed, the transfer
    # requests it sent, and the ones already waiting it asked again, with other values
    # (`resent`) or the same (`asked`): {"transfer": id, "before": {…}, "after": {…}} of
    # transfers.RESENT_FIELDS (transfers.settle_requests).
    people = models.JSONField(default=list, blank=True)
    closed = models.JSONField(default=list, blank=True)
    transfers = models.JSONField(default=list, blank=True)
    resent = models.JSONField(default=list, blank=True)
    asked = models.JSONField(default=list, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("导入或登记")
        verbose_name_plural = _("导入或登记")

    def __str__(self) -> str:
        return f"{self.kind} {self.label} @{self.org_code}"
