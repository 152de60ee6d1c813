"""How the REST API knows who is calling: a bearer token, or the browser session (with CSRF)."""
from ninja.security import HttpBearer, SessionAuth

from lifeline.accounts.models import ApiToken
from lifeline.core import clock


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.objects.authenticate(token)
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=clock.now())
        request.user = found.user
        return found.user


api_auth = [TokenAuth(), SessionAuth()]
