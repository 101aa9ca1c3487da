from tests.helpers import run_python


def test_a_name_is_imported_when_first_read():
    code = """
import sys
import tf_ner.data as data
assert "tf_ner.data.example" not in sys.modules
assert "Example" in dir(data)
example = data.Example
assert "tf_ner.data.example" in sys.modules and data.Example is example
try:
    data.Nothing
except AttributeError as error:
    print(error)
"""
    assert run_python(code).stdout.strip() == "module 'tf_ner.data' has no attribute 'Nothing'"
