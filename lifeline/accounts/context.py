from lifeline.accounts.roles import Role, roles_of


def roles(request):
    """Templates show or hide links by role; the server checks again on every request."""
    held = roles_of(request.user) if hasattr(request, "user") else set()
    return {"user_roles": held, "is_admin": Role.ADMIN.value in held}
