"""The mapping's merge-back lookups and merge-back account are checked like the rest of the file:
every problem with file, line, field and reason; a HIS out of reach is one clear refusal."""
import pytest

from lifeline.his import demo_his, mapping
from lifeline.his.writer import MergeRefused, Writer
from tests.his.test_mapping import edit, lines


def demo_mapping(tmp_path):
    path = tmp_path / "his.yaml"
    path.write_text(demo_his.mapping_text("mysql+pymysql://lifeline@his.example:3306/his"), encoding="utf-8")
    return path


def line_of(path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_the_demo_mapping_has_every_lookup(tmp_path):
    loaded = mapping.load(demo_mapping(tmp_path))
    assert sorted(loaded.merge_back_lookups) == sorted(demo_his.LOOKUPS)
    assert loaded.merge_back_connection is None  # merge-back writes with `connection`


def test_a_bad_lookup_is_named_with_its_line_and_reason(tmp_path):
    path = demo_mapping(tmp_path)
    edit(path, "  patient_by_id_card:\n", "  patient_by_idcard:\n")
    edit(path, "WHERE NAME = :name AND DATE_OF_BIRTH = :birth_date", "WHERE NAME = :name AND DATE_OF_BIRTH = :born")
    edit(path, "      SELECT SUM(QUANTITY) AS quantity FROM DRUG_STOCK", "      DELETE FROM DRUG_STOCK")
    found = lines(path)
    assert f"{line_of(path, '  patient_by_idcard:')}: merge_back_lookups.patient_by_idcard: unknown lookup " \
           "'patient_by_idcard'; did you mean 'patient_by_id_card'?" in found
    query = line_of(path, "  patient_by_name_birth:") + 1
    assert f"{query}: merge_back_lookups.patient_by_name_birth.query: parameter :born is not one the " \
           "patient_by_name_birth lookup takes (name, birth_date)" in found
    assert f"{line_of(path, '  stock:') + 1}: merge_back_lookups.stock.query: a query is one SELECT (or WITH … " \
           "SELECT) statement" in found
    assert len(found) == 3


def test_merge_back_may_write_with_its_own_account_never_with_a_password_in_the_file(tmp_path):
    path = demo_mapping(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "merge_back_connection:\n  url: mysql+pymysql://lifeline_merge:secret@his.example/his\n",
                    encoding="utf-8")
    last = len(path.read_text(encoding="utf-8").splitlines())
    assert lines(path) == [f"{last}: merge_back_connection.url: a password never goes into the mapping file: name "
                           "an environment variable (connection.password_env) or a secrets file "
                           "(connection.password_file)"]
    path.write_text(text + "merge_back_connection:\n  url: mysql+pymysql://lifeline_merge@his.example/his\n"
                    "  password_env: HIS_MERGE_PASSWORD\n", encoding="utf-8")
    assert mapping.load(path).merge_back_connection.password_env == "HIS_MERGE_PASSWORD"


def test_a_his_that_cannot_be_reached_is_one_clear_refusal(tmp_path, english):
    path = tmp_path / "his.yaml"
    path.write_text(demo_his.mapping_text("postgresql+psycopg://lifeline@127.0.0.1:9/his"), encoding="utf-8")
    writer = Writer(mapping.load(path))
    with pytest.raises(MergeRefused, match="^the HIS cannot be reached: connection failed: "):
        writer.ensure_ledger()
    with pytest.raises(MergeRefused, match="^the HIS cannot be reached: "):
        writer.applied(["e1"])
    writer.dispose()
