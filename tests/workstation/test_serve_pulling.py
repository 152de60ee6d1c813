"""`station serve --server`: the station keeps pulling by itself while it serves its pages."""
from tests.workstation.served import Browser, Served, free_port, station_dir


def test_serving_goes_on_with_the_package_held_while_the_server_is_unreachable(tmp_path):
    directory = station_dir(tmp_path / "S7")
    served = Served(directory, "S7", "--server", f"http://127.0.0.1:{free_port()}", "--every", "0.2",
                    env={"LIFELINE_STATION_TOKEN": "t0ken"})
    try:
        assert "张三" in Browser(served).get("/patients/", way="card_no", q="C0001").text
    finally:
        served.stop()
    assert "pull failed" in served.output()

