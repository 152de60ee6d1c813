"""The `lifeline` command.

Every sub-command is a Django management command (`lifeline plan check`, `lifeline serve`,
`lifeline worker`, `lifeline demo`, `lifeline token create`, `lifeline audit verify`, and
Django's own such as `lifeline migrate`), so the CLI and `manage.py` stay one thing. The one
exception is what runs on an emergency workstation (`lifeline station pull`): it goes to
lifeline.workstation before Django is set up, since a workstation has no server settings.
"""
import getpass
import os
import sys


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["station"]:
        from lifeline.workstation import cli as workstation

        if args[1:2] and args[1] in workstation.ACTIONS:
            return workstation.main(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifeline.settings")
    from django.core.management import execute_from_command_line

    from lifeline.core.actor import acting_as

    # Changes made from the command line are credited to the operating-system user.
    with acting_as(f"cli:{getpass.getuser()}"):
        execute_from_command_line(["lifeline", *args])


if __name__ == "__main__":
    sys.exit(main())
