"""init, demo, serve, manage: setting up and running yibiao."""

from __future__ import annotations

import argparse
import atexit
import os
import subprocess
import sys

from yibiao.cli import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    init = subparsers.add_parser(
        "init", help="建库/升级数据库并载入参考数据（区划代码、代码表、数据字典），可重复执行"
    )
    init.set_defaults(handler=cmd_init)

    demo = subparsers.add_parser("demo", help="初始化并生成演示县（约 3000 户、8000 人），打印演示账号，启动网页服务")
    demo.add_argument("--seed", type=int, default=1, help="随机种子：同一种子生成相同的数据（默认 1）")
    demo.add_argument("--households", type=int, default=3000, help="演示户数（默认 3000）")
    demo.add_argument("--reset", action="store_true", help="删除已有演示数据后重新生成")
    demo.add_argument("--no-serve", action="store_true", help="只准备数据，不启动网页服务")
    add_serve_arguments(demo)
    demo.set_defaults(handler=cmd_demo)

    serve = subparsers.add_parser("serve", help="启动网页服务（默认 http://127.0.0.1:8000）")
    add_serve_arguments(serve)
    serve.set_defaults(handler=cmd_serve)

    worker = subparsers.add_parser("worker", help="运行后台任务（大批量导出）；yibiao serve 会自动启动一个")
    worker.add_argument("--batch", action="store_true", help="处理完现有任务后退出")
    worker.set_defaults(handler=cmd_worker)

    manage = subparsers.add_parser("manage", help="运行 Django 管理命令（如 createsuperuser）", add_help=False)
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("YIBIAO_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("YIBIAO_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("YIBIAO_WORKERS", "2")))
    parser.add_argument("--no-job-worker", action="store_true",
                        help="不在本进程旁启动后台任务处理（另行运行 yibiao worker 时用）")


def cmd_init(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.setup import initialise

    result = initialise()
    print(result.summary())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.demo.load import load_demo
    from yibiao.setup import initialise

    print(initialise().summary())
    result = load_demo(seed=args.seed, households=args.households, reset=args.reset)
    print(result.summary())
    print(result.accounts_table())
    if args.no_serve:
        return 0
    return cmd_serve(args)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve with gunicorn (a real multi-process WSGI server), static files by whitenoise."""
    setup_django()
    from gunicorn.app.wsgiapp import run

    print(f"一表通已启动：http://{args.host}:{args.port}/  （Ctrl+C 停止）", flush=True)
    if not args.no_job_worker:
        # The embedded default: one job worker beside the web server, gone when it stops.
        worker = subprocess.Popen([sys.executable, "-m", "yibiao.cli", "worker"])
        atexit.register(worker.terminate)
    sys.argv = [
        "gunicorn",
        "yibiao.wsgi:application",
        "--bind", f"{args.host}:{args.port}",
        "--workers", str(args.workers),
        "--access-logfile", "-",
        "--log-level", "warning",
    ]
    run()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Process background jobs with the configured backend (database or Redis)."""
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if settings.TASKS_BACKEND == "redis":
        call_command("rqworker", "default", burst=args.batch)
    else:
        options = ["--batch", "--no-startup-delay"] if args.batch else []
        call_command("db_worker", *options)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yibiao manage", *args.args])
    return 0
