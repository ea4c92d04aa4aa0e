from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("people/", views.people_list, name="people"),
    path("people/<int:person_id>/", views.person_detail, name="person"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:person_id>/history/", views.person_history, name="person_history"),
    path("people/<int:person_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("households/new/", views.household_new, name="household_new"),
    path("places/", views.place_list, name="places"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
    path("export/", views.ledger_export, name="export"),
    path("writes/", views.write_list, name="writes"),
    path("writes/<int:write_id>/undo/", views.write_undo, name="undo"),
    path("transfers/", views.transfer_list, name="transfers"),
    path("transfers/<int:transfer_id>/", views.transfer_decide, name="transfer_decide"),
]
