from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from lifeline.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Manage REST API tokens: `lifeline token create --user NAME` prints a new token once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token for a user")
        create.add_argument("--user", required=True, help="username")
        create.add_argument("--name", default="", help="what the token is for")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        if action == "create":
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"--user: no user named {options['user']!r}") from None
            _token, key = ApiToken.objects.issue(user, options["name"])
            self.stdout.write(key)
        else:
            found = list(ApiToken.objects.filter(prefix=options["prefix"], revoked=False))
            if not found and not ApiToken.objects.filter(prefix=options["prefix"]).exists():
                raise CommandError(f"no token with prefix {options['prefix']!r}")
            for token in found:  # one save each: the audit log records every revocation
                token.revoked = True
                token.save(update_fields=["revoked"])
            self.stdout.write(f"revoked {len(found)} token(s)")
