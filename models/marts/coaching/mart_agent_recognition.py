"""Recognition that is fair: agents credibly above their team in empathetic contacts once their mix of channels
and tough moments is accounted for, whose customers' CSAT moved with them, ranked by a lower credible bound, with
a reason written from the numbers (empathy/stats/recognition.py; decisions: docs/decisions.md D31)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.recognition import COLUMNS, RecognitionSettings, recognition
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    settings = RecognitionSettings.from_config(json.loads(dbt.config.get("coaching_settings")))
    cells = sorted_frame(dbt.ref("int_agent_case_mix_cells_counted"))
    return to_vocabulary(recognition(cells, settings), {}, columns=COLUMNS)
