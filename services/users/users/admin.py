from django.contrib import admin

from users.models import RefreshSession, User
from users.services import session_revoke_all


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "name"]
    readonly_fields = ["id", "date_joined", "last_login"]
    exclude = ["password", "groups", "user_permissions"]
    actions = ["log_out_everywhere"]

    @admin.action(description="Log out everywhere (revoke every refresh token)")
    def log_out_everywhere(self, request, queryset):
        ended = sum(session_revoke_all(user_id=user.id) for user in queryset)
        self.message_user(request, f"{ended} session(s) ended.")


@admin.register(RefreshSession)
class RefreshSessionAdmin(admin.ModelAdmin):
    """Login sessions (refresh-token families): read-only, for looking into a revocation."""

    list_display = ["id", "user", "created_at", "refreshed_at", "expires_at", "revoked_at", "revoked_reason"]
    list_filter = ["revoked_reason"]
    search_fields = ["user__email"]
    readonly_fields = [field.name for field in RefreshSession._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
