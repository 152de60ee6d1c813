"""A refusal of the journal is shown on the station's own pages as a banner (DIR/send.json, as
`lifeline station send` left it), until a send passes again."""
import json

from lifeline.workstation import send
from tests.workstation.served import Browser, Served, station_dir


def test_the_stations_pages_show_a_refused_send_back(tmp_path):
    directory = station_dir(tmp_path / "S1")
    status = directory / send.STATUS
    status.write_text(json.dumps({"state": send.REFUSED, "message": "HTTP 409: 序号 6：其哈希与内容不符",
                                  "at": "2026-12-06T10:00:00+00:00", "held": 7, "server_seq": None}))
    served = Served(directory, "S1")
    try:
        page = Browser(served).get("/patients/")
        assert page.status_code == 200 and 'id="send-refused"' in page.text
        assert "服务器拒绝了本工作站的日志（HTTP 409: 序号 6：其哈希与内容不符）" in page.text
        status.write_text(json.dumps({"state": send.SENT, "message": "", "at": "2026-12-06T10:05:00+00:00",
                                      "held": 7, "server_seq": 7}))
        assert 'id="send-refused"' not in Browser(served).get("/patients/").text
    finally:
        served.stop()
