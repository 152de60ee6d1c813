from lifeline.accounts.roles import Role, roles_of


def roles(request):
    """Templates show or hide links by role (the server checks again on every request) and name the
    roles held in the reader's language."""
    held = roles_of(request.user) if hasattr(request, "user") else set()
    return {"user_roles": held, "is_admin": Role.ADMIN.value in held,
            "user_role_labels": [role.label for role in Role if role.value in held]}
