from django.urls import path

from annotate import views

app_name = "annotate"

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("projects/<int:pk>/", views.project_detail, name="project-detail"),
    path("projects/<int:pk>/import/", views.document_import, name="document-import"),
    path("projects/<int:pk>/export.<str:fmt>", views.project_export, name="project-export"),
    path("projects/<int:pk>/next/", views.project_next, name="project-next"),
    path("projects/<int:pk>/next-adjudication/", views.project_next_adjudication, name="project-next-adjudication"),
    path("projects/<int:pk>/assign/", views.project_assign, name="project-assign"),
    path("projects/<int:pk>/stance-models/train/", views.stance_model_train, name="stance-model-train"),
    path("projects/<int:pk>/suggestions/refresh/", views.suggestions_refresh, name="suggestions-refresh"),
    path("documents/<int:pk>/", views.document_review, name="document-review"),
    path("documents/<int:pk>/adjudicate/", views.document_adjudicate, name="document-adjudicate"),
]
