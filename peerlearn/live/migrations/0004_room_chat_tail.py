from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_chat_tail(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Rooms with messages start from their last message; ``chat_prev_id`` is read only as the
    old value of ``chat_last_id`` in the next ``chat_post``, so it needs no backfill."""
    Room = apps.get_model("live", "Room")
    ChatMessage = apps.get_model("live", "ChatMessage")
    last = (
        ChatMessage.objects.filter(room=OuterRef("pk"))
        .order_by()
        .values("room")
        .annotate(last=Max("id"))
        .values("last")
    )
    Room.objects.update(chat_last_id=Coalesce(Subquery(last), 0))


class Migration(migrations.Migration):
    dependencies = [("live", "0003_chat_client_id_room_presence")]

    operations = [
        migrations.AddField(
            model_name="room",
            name="chat_last_id",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="room",
            name="chat_prev_id",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill_chat_tail, migrations.RunPython.noop),
    ]
