from django.urls import path

from posts import views

urlpatterns = [
    path("posts/", views.PostListView.as_view(), name="post-list"),
    path("post/<uuid:post_id>/", views.PostDetailView.as_view(), name="post-detail"),
    path("post/<uuid:post_id>/like/", views.PostLikeView.as_view(), name="post-like"),
    path("post/<uuid:post_id>/likes/", views.PostLikersView.as_view(), name="post-likers"),
    path("post/<uuid:post_id>/view/", views.PostViewView.as_view(), name="post-view"),
    path("user/<uuid:user_id>/posts/", views.UserPostListView.as_view(), name="user-posts"),
]
