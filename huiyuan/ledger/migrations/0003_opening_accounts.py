# Opening-balance system accounts for the legacy migration (huiyuan.imports).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0002_idempotency_result'),
    ]

    operations = [
        migrations.AlterField(
            model_name='account',
            name='kind',
            field=models.CharField(choices=[('principal', 'Stored value (principal)'), ('bonus', 'Bonus'), ('points', 'Points'), ('store_funding', 'Store: recharges received'), ('store_sales', 'Store: sales paid from balance'), ('store_refunds', 'Store: refunds paid out'), ('store_bonus', 'Store: bonus granted'), ('store_points_issued', 'Store: points issued'), ('store_points_redeemed', 'Store: points redeemed'), ('points_expired', 'Points expired'), ('bonus_expired', 'Bonus expired'), ('points_adjustments', 'Points adjusted by hand'), ('opening_balance', 'Opening balances migrated (fen)'), ('opening_points', 'Opening points migrated')], max_length=30),
        ),
    ]
