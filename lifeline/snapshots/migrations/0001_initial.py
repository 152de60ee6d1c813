"""The snapshot models, moved from continuity (continuity.0006): state only, the tables stay
(continuity_snapshotbuild, continuity_buildproblem) with their rows."""
import django.db.models.deletion
from django.db import migrations, models

MODELS = ['snapshotbuild', 'buildproblem']


def _move_types(apps, old: str, new: str):
    """The content types (and with them permissions and admin log entries) follow the models.
    A type the new label already has (made by a migrate run while the app was installed but
    this migration not applied) holds nothing yet and gives way."""
    types = apps.get_model("contenttypes", "ContentType").objects
    for model in MODELS:
        if types.filter(app_label=old, model=model).exists():
            types.filter(app_label=new, model=model).delete()
            types.filter(app_label=old, model=model).update(app_label=new)


def _types_to_snapshots(apps, schema_editor):
    _move_types(apps, "continuity", "snapshots")


def _types_to_continuity(apps, schema_editor):
    _move_types(apps, "snapshots", "continuity")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('continuity', '0005_build_problems_limits_drift'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='SnapshotBuild',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(choices=[('full', 'full'), ('incremental', 'incremental')], max_length=12, verbose_name='kind')),
                    ('status', models.CharField(choices=[('running', 'running'), ('published', 'published'), ('failed', 'failed'), ('refused', 'refused')], default='running', max_length=10, verbose_name='status')),
                    ('trigger', models.CharField(help_text='cli, worker or demo', max_length=40, verbose_name='started by')),
                    ('started_at', models.DateTimeField(db_index=True, verbose_name='started at')),
                    ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                    ('duration_seconds', models.FloatField(blank=True, null=True, verbose_name='duration (s)')),
                    ('size_bytes', models.BigIntegerField(blank=True, null=True, verbose_name='size (bytes)')),
                    ('row_counts', models.JSONField(blank=True, default=dict, help_text='rows in the package (changed rows for an incremental)', verbose_name='rows per entity')),
                    ('deleted_counts', models.JSONField(blank=True, default=dict, verbose_name='deleted rows per entity')),
                    ('total_counts', models.JSONField(blank=True, default=dict, verbose_name='rows per entity after applying')),
                    ('skipped', models.JSONField(blank=True, default=list, help_text='entity, key, field and reason of each row left out (first 1,000)', verbose_name='skipped rows')),
                    ('skipped_count', models.IntegerField(default=0, verbose_name='number of skipped rows')),
                    ('nulled_count', models.IntegerField(default=0, help_text='bad values of optional fields emptied (on_invalid: null)', verbose_name='number of values emptied')),
                    ('problem_summary', models.JSONField(blank=True, default=list, help_text='entity, field, outcome, count and an example', verbose_name='problems per entity and field')),
                    ('watermark_ahead', models.JSONField(blank=True, default=dict, help_text="per entity: rows stamped beyond the HIS's clock, the newest stamp, the clock, example keys", verbose_name="watermarks ahead of the HIS's clock")),
                    ('drift', models.JSONField(blank=True, help_text='per entity: keys whose rows differ from the chain this full package replaces, changes its watermark did not show (empty: none; not set: not checked)', null=True, verbose_name='drift from the chain replaced')),
                    ('error', models.TextField(blank=True, verbose_name='error')),
                    ('note', models.TextField(blank=True, verbose_name='note')),
                    ('package_id', models.CharField(db_index=True, max_length=64, verbose_name='package id')),
                    ('path', models.CharField(blank=True, max_length=500, verbose_name='package file')),
                    ('mapping_path', models.CharField(max_length=500, verbose_name='mapping file')),
                    ('mapping_sha256', models.CharField(blank=True, max_length=64, verbose_name='mapping hash')),
                    ('key_id', models.CharField(blank=True, max_length=40, verbose_name='key id')),
                    ('pruned_at', models.DateTimeField(blank=True, help_text='when the package file was removed to keep only the last chains', null=True, verbose_name='pruned at')),
                    ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='children', to='snapshots.snapshotbuild', verbose_name='parent package')),
                ],
                options={
                    'verbose_name': 'snapshot build',
                    'verbose_name_plural': 'snapshot builds',
                    'db_table': 'continuity_snapshotbuild',
                    'ordering': ['-started_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='BuildProblem',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('entity', models.CharField(max_length=40, verbose_name='entity')),
                    ('key', models.CharField(max_length=200, verbose_name='row key')),
                    ('field', models.CharField(max_length=40, verbose_name='field')),
                    ('reason', models.CharField(max_length=500, verbose_name='reason')),
                    ('outcome', models.CharField(choices=[('skipped', 'row left out'), ('nulled', 'value emptied'), ('failed', 'build failed')], max_length=10, verbose_name='outcome')),
                    ('build', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='problems', to='snapshots.snapshotbuild', verbose_name='snapshot build')),
                ],
                options={
                    'verbose_name': 'problem of a snapshot build',
                    'verbose_name_plural': 'problems of snapshot builds',
                    'db_table': 'continuity_buildproblem',
                    'ordering': ['id'],
                },
            ),
            migrations.AddIndex(
                model_name='snapshotbuild',
                index=models.Index(fields=['status', 'kind', 'started_at'], name='continuity__status_0069d3_idx'),
            ),
            migrations.AddIndex(
                model_name='buildproblem',
                index=models.Index(fields=['build', 'entity', 'field'], name='continuity__build_i_86f24c_idx'),
            ),
        ]),
        migrations.RunPython(_types_to_snapshots, _types_to_continuity),
    ]
