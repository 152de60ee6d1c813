"""How the REST API knows who is calling: a bearer token, or the browser session (with CSRF).

Routes name a policy (lifeline.accounts.permissions), whose `.api` authenticates this way and
then checks the role; `api_auth` alone (any signed-in caller) guards only the API's own docs.
"""
from ninja.security import HttpBearer, SessionAuth

from lifeline.accounts.models import ApiToken
from lifeline.core import clock


def user_of_token(request, token):
    """The user a bearer token belongs to (its last use recorded), or None."""
    found = ApiToken.objects.authenticate(token)
    if found is None:
        return None
    ApiToken.objects.filter(pk=found.pk).update(last_used_at=clock.now())
    request.user = found.user
    return found.user


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        return user_of_token(request, token)


api_auth = [TokenAuth(), SessionAuth()]
