"""The station models, moved from continuity (continuity.0006): state only, the tables stay
(continuity_station, continuity_stationcheckin) with their rows."""
import django.db.models.deletion
import lifeline.core.clock
from django.db import migrations, models

MODELS = ['station', 'stationcheckin']


def _move_types(apps, old: str, new: str):
    """The content types (and with them permissions and admin log entries) follow the models.
    A type the new label already has (made by a migrate run while the app was installed but
    this migration not applied) holds nothing yet and gives way."""
    types = apps.get_model("contenttypes", "ContentType").objects
    for model in MODELS:
        if types.filter(app_label=old, model=model).exists():
            types.filter(app_label=new, model=model).delete()
            types.filter(app_label=old, model=model).update(app_label=new)


def _types_to_stations(apps, schema_editor):
    _move_types(apps, "continuity", "stations")


def _types_to_continuity(apps, schema_editor):
    _move_types(apps, "stations", "continuity")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('continuity', '0005_build_problems_limits_drift'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='Station',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                    ('department', models.CharField(max_length=100, verbose_name='department')),
                    ('location', models.CharField(blank=True, max_length=200, verbose_name='location')),
                    ('token_hash', models.CharField(editable=False, max_length=64, unique=True, verbose_name='token digest')),
                    ('created_at', models.DateTimeField(default=lifeline.core.clock.now, editable=False, verbose_name='created at')),
                    ('revoked_at', models.DateTimeField(blank=True, editable=False, help_text="a revoked station's token no longer works", null=True, verbose_name='revoked at')),
                    ('last_seen_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last seen at')),
                    ('package_id', models.CharField(blank=True, editable=False, help_text='the newest package the station applied to its base data', max_length=64, verbose_name='package applied')),
                    ('package_built_at', models.DateTimeField(blank=True, editable=False, help_text='when that package read the HIS', null=True, verbose_name='data as of')),
                    ('checked_in_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last check-in')),
                    ('client_version', models.CharField(blank=True, editable=False, max_length=40, verbose_name='client version')),
                ],
                options={
                    'verbose_name': 'emergency workstation',
                    'verbose_name_plural': 'emergency workstations',
                    'db_table': 'continuity_station',
                    'ordering': ['department', 'name'],
                },
            ),
            migrations.CreateModel(
                name='StationCheckIn',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('at', models.DateTimeField(db_index=True, verbose_name='checked in at')),
                    ('package_ids', models.JSONField(default=list, verbose_name='packages held')),
                    ('applied', models.CharField(blank=True, max_length=64, verbose_name='package applied')),
                    ('client_version', models.CharField(blank=True, max_length=40, verbose_name='client version')),
                    ('address', models.GenericIPAddressField(blank=True, null=True, verbose_name='address')),
                    ('station', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='check_ins', to='stations.station', verbose_name='emergency workstation')),
                ],
                options={
                    'verbose_name': 'station check-in',
                    'verbose_name_plural': 'station check-ins',
                    'db_table': 'continuity_stationcheckin',
                    'ordering': ['-at', '-id'],
                },
            ),
        ]),
        migrations.RunPython(_types_to_stations, _types_to_continuity),
    ]
