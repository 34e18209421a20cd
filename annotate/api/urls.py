from django.urls import path

from drf_spectacular.views import SpectacularAPIView

from annotate.api import views

urlpatterns = [
    path("projects/", views.ProjectList.as_view(), name="api-project-list"),
    path("projects/<int:project_pk>/", views.ProjectDetail.as_view(), name="api-project-detail"),
    path("projects/<int:project_pk>/documents/", views.DocumentListImport.as_view(), name="api-document-list"),
    path("projects/<int:project_pk>/export/<str:fmt>/", views.ProjectExport.as_view(), name="api-project-export"),
    path("documents/<int:pk>/", views.DocumentReview.as_view(), name="api-document-review"),
    path("sentences/<int:pk>/annotation/", views.SentenceAnnotationSave.as_view(), name="api-sentence-annotation"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
