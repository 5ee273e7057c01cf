"""Pure numerics: indicators, scores, performance metrics. No I/O, no asyncio."""
