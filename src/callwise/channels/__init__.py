"""Channel choice (渠道选择, next best action): per customer call, SMS, app push, WeChat, email or nothing.

``config`` (the campaign file's ``channels:``), ``effects`` (what each channel added in the lake's past randomised
campaigns), ``values`` (expected incremental value per customer × channel), ``optimise`` (one channel per customer
under capacities and a budget, with a certified gap), ``plan`` (the whole step: policy, values, choice, calls through
the scheduler and gate, send times for messages) and ``output`` (files).
"""

from callwise.channels.config import CHANNELS, ChannelsConfig

__all__ = ["CHANNELS", "ChannelsConfig"]
