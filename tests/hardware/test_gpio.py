"""Buttons and lamps on gpiozero's mock pins; a fake clock proves the debounce."""

import pytest

from hardware.gpio import (
    CALLER_KEYPAD_PINS, EVALUATOR_PINS, KIOSK_BUTTON_PIN, ButtonPanel, DebouncedButton,
    StatusLed,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def press(factory, pin: int) -> None:
    factory.pin(pin).drive_low()
    factory.pin(pin).drive_high()


def test_press_fires_at_once(mock_factory):
    presses = []
    with DebouncedButton(KIOSK_BUTTON_PIN, on_press=lambda: presses.append(1)) as button:
        mock_factory.pin(KIOSK_BUTTON_PIN).drive_low()
        assert button.is_pressed
        assert presses == [1]


def test_second_press_within_debounce_is_ignored(mock_factory):
    clock, presses = FakeClock(), []
    with DebouncedButton(16, clock=clock, debounce_s=0.05,
                         on_press=lambda: presses.append(clock.now)) as button:
        press(mock_factory, 16)
        clock.now += 0.02
        press(mock_factory, 16)  # contact bounce
        clock.now += 0.04  # 0.06 s after the accepted press
        press(mock_factory, 16)
    assert presses == [100.0, 100.06]
    assert (button.presses, button.ignored) == (2, 1)


def test_debounce_counts_from_the_last_accepted_press(mock_factory):
    clock, presses = FakeClock(), []
    with DebouncedButton(16, clock=clock, debounce_s=1.0, on_press=lambda: presses.append(1)):
        for _ in range(5):  # an impatient visitor hammering the button
            press(mock_factory, 16)
            clock.now += 0.3
        assert len(presses) == 2  # at 0 s and at 1.2 s


def test_failing_handler_does_not_break_the_button(mock_factory, caplog):
    def boom():
        raise RuntimeError("printer busy")

    clock = FakeClock()
    with DebouncedButton(16, clock=clock, on_press=boom) as button:
        press(mock_factory, 16)
        clock.now += 1
        press(mock_factory, 16)
    assert button.presses == 2
    assert "handler failed" in caplog.text


def test_close_twice_and_pin_is_released(mock_factory):
    button = DebouncedButton(16)
    button.close()
    button.close()
    assert button.closed
    DebouncedButton(16).close()  # the pin can be claimed again


def test_caller_keypad_maps_pins_to_names(mock_factory):
    clock, seen = FakeClock(), []
    with ButtonPanel(CALLER_KEYPAD_PINS, on_press=seen.append, clock=clock) as keypad:
        for name in ("next", "recall", "skip", "pause", "finish"):
            press(mock_factory, CALLER_KEYPAD_PINS[name])
            clock.now += 1
    assert seen == ["next", "recall", "skip", "pause", "finish"]
    assert keypad.closed


def test_debounce_is_per_button(mock_factory):
    clock, seen = FakeClock(), []
    with ButtonPanel(EVALUATOR_PINS, on_press=seen.append, clock=clock):
        press(mock_factory, EVALUATOR_PINS["satisfied"])
        press(mock_factory, EVALUATOR_PINS["satisfied"])  # bounce: ignored
        press(mock_factory, EVALUATOR_PINS["very_satisfied"])  # other key: counts
    assert seen == ["satisfied", "very_satisfied"]


def test_panel_with_per_name_callbacks(mock_factory):
    calls = []
    with ButtonPanel({"next": 5, "recall": 6}, callbacks={"next": lambda: calls.append("n")}):
        press(mock_factory, 5)
        press(mock_factory, 6)  # no callback for recall: nothing happens
    assert calls == ["n"]


def test_panel_rejects_callbacks_without_pins(mock_factory):
    with pytest.raises(ValueError, match="evaluate"):
        ButtonPanel({"next": 5}, callbacks={"evaluate": print})


def test_panel_releases_claimed_pins_when_one_fails(mock_factory):
    with pytest.raises(Exception):
        ButtonPanel({"next": 5, "again": 5})  # the same pin twice
    ButtonPanel({"next": 5}).close()  # pin 5 was given back


def test_pin_maps_do_not_overlap():
    pins = [KIOSK_BUTTON_PIN, *CALLER_KEYPAD_PINS.values(), *EVALUATOR_PINS.values()]
    assert len(pins) == len(set(pins))


def test_led_on_off_and_close(mock_factory):
    led = StatusLed(20)
    led.on()
    assert led.is_lit and mock_factory.pin(20).state
    led.off()
    assert not led.is_lit
    led.close()
    led.close()
    assert led.closed


def test_led_blinks_the_given_number_of_times(mock_factory):
    with StatusLed(21) as led:
        mock_factory.pin(21).clear_states()
        led.blink(on_time=0.001, off_time=0.001, n=2, background=False)
        mock_factory.pin(21).assert_states([False, True, False, True, False])


def test_active_low_lamp(mock_factory):
    with StatusLed(20, active_high=False) as led:
        led.on()
        assert mock_factory.pin(20).state is False and led.is_lit
