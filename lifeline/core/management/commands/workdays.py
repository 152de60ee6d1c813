from django.core.management.base import BaseCommand, CommandError

from lifeline.core import clock, workdays


class Command(BaseCommand):
    help = ("Show the working-day calendar: the years it knows, and for each YEAR given its holidays on weekdays "
            "and its adjusted working days (调休). Exit 1 when the hospital's workdays file cannot be used or a "
            "year given is unknown.")

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="*", type=int, metavar="YEAR",
                            help="default: this year and the next")

    def handle(self, *args, years, **options):
        hospital = workdays.hospital_days()
        package = workdays.package_years()
        self.stdout.write(f"chinesecalendar: {package.start}–{package.stop - 1}")
        path = workdays.workdays_file()
        if hospital.problem:
            raise CommandError(hospital.problem)
        listed = ", ".join(map(str, sorted(hospital.years))) if hospital.years else "-"
        self.stdout.write(f"{path}: {listed if path.exists() else 'none'}")
        this_year = clock.now().astimezone().year
        unknown = []
        for year in years or [this_year, this_year + 1]:
            if not workdays.known(year):
                unknown.append(year)
                self.stdout.write(f"{year}: UNKNOWN – working days counted Monday to Friday; add {year} to {path}")
                continue
            found = workdays.describe_year(year)
            self.stdout.write(f"{year}: from {', '.join(found['sources'])}" + (f" ({found['note']})" if found["note"]
                                                                                 else ""))
            self.stdout.write("  holidays: " + (", ".join(d.isoformat() for d in found["holidays"]) or "-"))
            self.stdout.write("  workdays: " + (", ".join(d.isoformat() for d in found["workdays"]) or "-"))
        if unknown and years:
            raise CommandError(f"unknown year(s): {', '.join(map(str, unknown))}")
