"""The sandbox: Telegram without Telegram, shipped with the bot.

- `localapi`: a local Bot API server the real Application talks HTTP to.
- `transcript`: a driver in which people type and tap, and the conversation as text.
- `demo` (with `demo.toml`, its bureau and its group chats): the scripted day of `hotline-bot demo`.

The product's modules never import this package; only the `demo` command of
the CLI and the tests do.
"""
