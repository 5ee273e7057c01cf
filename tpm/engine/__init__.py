"""The async core: bus, clock, market stage, risk, OMS, portfolio, strategy runner, engine."""
