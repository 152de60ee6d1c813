"""continuity was split: its models now live in snapshots and stations (their 0001, state only).
Removed here from continuity's state only: the tables and their rows stay, used by the new apps."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('continuity', '0005_build_problems_limits_drift'),
        ('snapshots', '0001_initial'),
        ('stations', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='snapshotbuild',
                name='parent',
            ),
            migrations.RemoveField(
                model_name='stationcheckin',
                name='station',
            ),
            migrations.DeleteModel(
                name='BuildProblem',
            ),
            migrations.DeleteModel(
                name='SnapshotBuild',
            ),
            migrations.DeleteModel(
                name='Station',
            ),
            migrations.DeleteModel(
                name='StationCheckIn',
            ),
        ]),
    ]
