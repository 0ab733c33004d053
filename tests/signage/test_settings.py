"""Settings: the device file `hall device add` writes, the signage fields, clear errors."""

import pytest

from hallcore.errors import ConfigError
from hallcore.settings import load
from protocol.connection import BrokerSettings
from signage.settings import BarSettings, SignageSettings

DEVICE_FILE = '''
hall = "linan"
device = "bar-3"
role = "bar"
window = "w03"

[broker]
host = "hall-server.local"
port = 8883
username = "bar-3"
password = "s3cret"
tls_ca = "/etc/hall/ca.pem"
'''


def test_the_device_file_alone_is_enough(tmp_path):
    path = tmp_path / "device.toml"
    path.write_text(DEVICE_FILE, encoding="utf-8")
    settings = load(SignageSettings, path, environ={})
    assert (settings.hall, settings.device, settings.role, settings.window) == ("linan", "bar-3", "bar", "w03")
    assert settings.broker == BrokerSettings(host="hall-server.local", port=8883, username="bar-3",
                                             password="s3cret", tls_ca="/etc/hall/ca.pem")
    assert settings.voice and settings.page_s == 10.0 and settings.bars == ()


def test_signage_fields_bars_and_environment(tmp_path):
    path = tmp_path / "wall.toml"
    path.write_text(DEVICE_FILE.replace('role = "bar"', 'role = "wall"').replace('window = "w03"', 'window = ""') + '''
''', encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    text = text.replace("[broker]", '''hall_name = "临安区政务服务中心"
resolution = [1080, 1920]
rotation = 90
quiet_hours = ["12:00-13:30", "22:00-06:00"]

[[bars]]
port = "/dev/ttyUSB0"
address = 1
window = "w01"

[[bars]]
port = "socket://10.0.0.9:4001"
address = 2
window = "w02"
width = 192

[broker]''')
    path.write_text(text, encoding="utf-8")
    settings = load(SignageSettings, path, environ={"HALL_VOLUME": "0.3", "HALL_BROKER__PORT": "1884"})
    assert settings.resolution == (1080, 1920) and settings.rotation == 90
    assert settings.bars == (BarSettings(port="/dev/ttyUSB0", address=1, window="w01"),
                             BarSettings(port="socket://10.0.0.9:4001", address=2, window="w02", width=192))
    assert settings.volume == 0.3 and settings.broker.port == 1884
    assert settings.quiet_spans() == ((720, 810), (1320, 360))


@pytest.mark.parametrize("line, message", [
    ('role = "kiosk"', "'wall' or 'bar'"),
    ("rotation = 45", "0, 90, 180 or 270"),
    ('quiet_hours = ["noon"]', "HH:MM-HH:MM"),
    ("volume = 2", "volume"),
    ("page_s = 1", "read"),
    ("colour = 1", "unknown setting"),
])
def test_mistakes_are_named(tmp_path, line, message):
    path = tmp_path / "bad.toml"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load(SignageSettings, path, environ={})


def test_a_bar_with_a_bad_address_is_refused():
    with pytest.raises(ConfigError, match="address"):
        BarSettings(port="/dev/ttyUSB0", address=0)
