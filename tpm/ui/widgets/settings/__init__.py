"""The widgets of the Settings screen: a form generated from the config models, and a theme list."""

from tpm.ui.widgets.settings.field import SettingField
from tpm.ui.widgets.settings.form import SettingsForm
from tpm.ui.widgets.settings.group import SettingsGroup
from tpm.ui.widgets.settings.looser import loosenings
from tpm.ui.widgets.settings.save_bar import SaveBar
from tpm.ui.widgets.settings.state import FieldState, FormState
from tpm.ui.widgets.settings.theme_picker import ThemePicker
from tpm.ui.widgets.settings.weights import WeightsSum

__all__ = [
    "FieldState",
    "FormState",
    "SaveBar",
    "SettingField",
    "SettingsForm",
    "SettingsGroup",
    "ThemePicker",
    "WeightsSum",
    "loosenings",
]
