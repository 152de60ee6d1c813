from lifeline.accounts import permissions
from lifeline.accounts.roles import Role, roles_of


class May:
    """`{% if may.can_read %}` in a template: the named policy, checked for this request's user
    (each once). Templates only show or hide; the server checks again on every request."""

    def __init__(self, user):
        self.user, self.known = user, {}

    def __getitem__(self, name):
        policy = getattr(permissions, name, None)
        if not isinstance(policy, permissions.Policy):
            raise KeyError(name)
        if name not in self.known:
            self.known[name] = policy(self.user)
        return self.known[name]


def roles(request):
    """Templates show or hide links by policy (`may`) and name the roles held in the reader's language."""
    user = getattr(request, "user", None)
    held = roles_of(user) if user is not None else set()
    return {"user_roles": held, "is_admin": Role.ADMIN.value in held, "may": May(user),
            "user_role_labels": [role.label for role in Role if role.value in held]}
