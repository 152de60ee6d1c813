"""StationReport becomes StationCheckIn ("report" means a fault report only); Station.reported_at
becomes checked_in_at."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('continuity', '0003_station_stationreport'),
    ]

    operations = [
        migrations.RenameModel(old_name='StationReport', new_name='StationCheckIn'),
        migrations.AlterModelOptions(
            name='stationcheckin',
            options={'ordering': ['-at', '-id'], 'verbose_name': 'station check-in',
                     'verbose_name_plural': 'station check-ins'},
        ),
        migrations.AlterField(
            model_name='stationcheckin',
            name='station',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='check_ins',
                                    to='continuity.station', verbose_name='emergency workstation'),
        ),
        migrations.AlterField(
            model_name='stationcheckin',
            name='at',
            field=models.DateTimeField(db_index=True, verbose_name='checked in at'),
        ),
        migrations.RenameField(model_name='station', old_name='reported_at', new_name='checked_in_at'),
        migrations.AlterField(
            model_name='station',
            name='checked_in_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last check-in'),
        ),
    ]
