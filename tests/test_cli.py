"""The command line: every registered command is known to the fast path that opens the app."""

from tui.cli import COMMANDS, build_parser


def test_command_table_matches_the_registered_commands():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(subparsers.choices) == set(COMMANDS)


def test_opening_the_app_imports_no_command_module():
    import subprocess
    import sys

    code = (
        "import sys, tui.cli as c, tui.launch as l\n"
        "l.run_app = lambda args: print(args.backend, args.data_dir) or 0\n"
        "c.main(['--backend', 'local', '--data-dir', '/tmp/x'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('tui.commands.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["local /tmp/x", "[]"]
