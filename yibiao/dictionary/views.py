from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from yibiao.accounts import scope

from .elements import ElementError, NewElement, add_element
from .models import CodeList, Element, Sensitivity, Subject, ValueType


@login_required
def element_list(request: HttpRequest) -> HttpResponse:
    elements = Element.objects.select_related("code_list", "owner").order_by("subject", "code")
    return render(request, "dictionary/elements.html", {
        "elements": elements, "can_add": scope.can(request.user, "manage_dictionary")})


@login_required
def element_new(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, "manage_dictionary")
    error = ""
    if request.method == "POST":
        post = request.POST
        retention = post.get("retention_days", "").strip()
        try:
            element = add_element(request.user, NewElement(
                code=post.get("code", "").strip(), name_zh=post.get("name_zh", ""),
                subject=post.get("subject", ""), value_type=post.get("value_type", ""),
                sensitivity=post.get("sensitivity", Sensitivity.PERSONAL),
                code_list=post.get("code_list", ""), unit=post.get("unit", "").strip(),
                retention_days=int(retention) if retention.isdigit() else None,
                note=post.get("note", "").strip()))
        except ElementError as problem:
            error = str(problem)
        else:
            messages.success(request, _("已添加数据元 %(code)s") % {"code": element.code})
            return redirect("dictionary:elements")
    return render(request, "dictionary/element_new.html", {
        "error": error, "post": request.POST, "subjects": Subject.choices,
        "value_types": ValueType.choices, "sensitivities": Sensitivity.choices,
        "code_lists": CodeList.objects.all()})
