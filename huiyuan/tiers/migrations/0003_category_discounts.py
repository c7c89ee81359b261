from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tiers", "0002_tier_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="tier",
            name="category_discounts",
            field=models.JSONField(blank=True, default=dict, verbose_name="discount by category"),
        ),
    ]
