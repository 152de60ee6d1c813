"""Two stations on one PC (or a station beside the server) do not take each other's control
socket: gunicorn's default is one path per user, ~/.gunicorn/gunicorn.ctl."""
from tests.workstation.served import Browser, Served, station_dir


def test_two_stations_on_one_host_serve_side_by_side_without_a_shared_control_socket(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    served = [Served(station_dir(tmp_path / code), code, env={"HOME": str(home)}) for code in ("S1", "S2")]
    try:
        for one in served:
            assert "张三" in Browser(one).get("/patients/", way="card_no", q="C0001").text
    finally:
        for one in served:
            one.stop()
    assert not (home / ".gunicorn").exists()
    assert all("control" not in one.output().lower() for one in served), served[0].output()[-500:]
