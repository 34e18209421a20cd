from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from annotate.api import views

urlpatterns = [
    path("projects/", views.ProjectList.as_view(), name="api-project-list"),
    path("projects/<int:project_pk>/", views.ProjectDetail.as_view(), name="api-project-detail"),
    path("projects/<int:project_pk>/documents/", views.DocumentListImport.as_view(), name="api-document-list"),
    path("projects/<int:project_pk>/imports/", views.ProjectImportJobs.as_view(), name="api-project-imports"),
    path("projects/<int:project_pk>/suggestion-refreshes/", views.ProjectSuggestionRefreshes.as_view(),
         name="api-project-suggestion-refreshes"),
    path("projects/<int:project_pk>/assignments/", views.ProjectAssignments.as_view(), name="api-project-assignments"),
    path("projects/<int:project_pk>/stance-models/", views.ProjectStanceModels.as_view(), name="api-project-stance-models"),
    path("projects/<int:project_pk>/agreement/", views.ProjectAgreement.as_view(), name="api-project-agreement"),
    path("projects/<int:project_pk>/stance-rules/", views.ProjectStanceRules.as_view(), name="api-project-stance-rules"),
    path("projects/<int:project_pk>/export/<str:fmt>/", views.ProjectExport.as_view(), name="api-project-export"),
    path("documents/<int:pk>/", views.DocumentReview.as_view(), name="api-document-review"),
    path("documents/<int:pk>/speakers/", views.DocumentSpeakers.as_view(), name="api-document-speakers"),
    path("sentences/<int:pk>/annotation/", views.SentenceAnnotationSave.as_view(), name="api-sentence-annotation"),
    path("sentences/<int:pk>/adjudication/", views.SentenceAdjudicationSave.as_view(), name="api-sentence-adjudication"),
    path("sentences/<int:pk>/comments/", views.SentenceComments.as_view(), name="api-sentence-comments"),
    path("sentences/<int:pk>/history/", views.SentenceHistory.as_view(), name="api-sentence-history"),
    path("speakers/<int:pk>/", views.SpeakerRename.as_view(), name="api-speaker"),
    path("speakers/<int:pk>/merge/", views.SpeakerMerge.as_view(), name="api-speaker-merge"),
    path("comments/<int:pk>/resolve/", views.CommentResolve.as_view(), name="api-comment-resolve"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
