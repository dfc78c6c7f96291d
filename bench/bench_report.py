"""What ``make bench`` prints (bench/bench.py measures)."""

import statistics


def commit_trend(commits):
    """The per-line cost of the last tenth of an import's commits over its
    first tenth (``commits``: (create_date, lines) per transaction, in order;
    a page's cost is the time to the next commit): ~1.0 when it stays flat
    inside one import. None under 12 commits."""
    if len(commits) < 12:
        return None
    costs = [
        (commits[i][0] - commits[i - 1][0]).total_seconds() / commits[i - 1][1]
        for i in range(1, len(commits))
    ]
    tenth = max(1, len(costs) // 10)
    head, tail = statistics.median(costs[:tenth]), statistics.median(costs[-tenth:])
    return tail / head if head else None


def _trend(commits):
    trend = commit_trend(commits)
    return f"{trend:.2f}" if trend else "n/a"


def _cpu(measures):
    """CPU seconds of the Odoo process and of its PostgreSQL backends."""
    return measures["cpu"] + (measures["db"] or 0.0)


def _clock(measures, clock):
    return measures["wall"] if clock == "wall" else _cpu(measures)


def _linearity(res, base, side, clock):
    return (_clock(res[side], clock) / res["size"]) / (
        _clock(base[side], clock) / base["size"]
    )


def _costs(measures, size):
    db = measures["db"]
    text = "{:.1f}s, {:.2f} ms/line; CPU {:.2f} ms/line (Odoo {:.2f} + PostgreSQL {})"
    return text.format(
        measures["wall"],
        1000 * measures["wall"] / size,
        1000 * _cpu(measures) / size,
        1000 * measures["cpu"] / size,
        "n/a" if db is None else f"{1000 * db / size:.2f}",
    )


def lines(results, p2, budget):
    out = []
    base = results[0]
    for res in results:
        engine, bare, size = res["engine"], res["bare"], res["size"]
        line = "P1 N={} engine/bare = {:.2f}x (CPU {:.2f}x)".format(
            size, engine["wall"] / bare["wall"], _cpu(engine) / _cpu(bare)
        )
        if res is not base:
            line += (
                "; per-line {}/{}: engine {:.2f}, bare {:.2f} "
                "(CPU: engine {:.2f}, bare {:.2f})".format(
                    size,
                    base["size"],
                    *(
                        _linearity(res, base, side, clock)
                        for clock in ("wall", "cpu")
                        for side in ("engine", "bare")
                    ),
                )
            )
        out.append(line)
        out.append(
            "   engine: {m}\n"
            "           {r} cron job run(s) ({b} batches), longest run {mx:.1f}s; "
            "{c} commit(s) of lines, per-line cost last/first tenth of them {t}; "
            "connection {st}".format(
                m=_costs(engine, size),
                r=len(res["runs"]),
                b=sum(batches for _seconds, batches in res["runs"]),
                mx=max((seconds for seconds, _batches in res["runs"]), default=0.0),
                c=len(engine["commits"]),
                t=_trend(engine["commits"]),
                st=res["state"],
            )
            + (
                f"; {res['idle']:.0f}s idle waiting for its own triggers (not counted)"
                if res["idle"]
                else ""
            )
            + (f"; {res['hourly']} more hourly call(s) needed" if res["hourly"] else "")
        )
        out.append(
            "   bare:   {m}\n"
            "           {c} commits, per-line cost last/first tenth of them {t}".format(
                m=_costs(bare, size),
                c=len(bare["commits"]),
                t=_trend(bare["commits"]),
            )
        )
        if res["problem"]:
            out.append(f"   WARNING: {res['problem']}")
    accounts = p2["accounts"] or 1
    queries = p2["queries"] - p2["empty_queries"]
    out.append(
        "P2 sync with nothing new ({a} accounts, {k} connections): "
        "{r} HTTP requests ({rpa:.1f}/account), {q} SQL queries ({qpa:.0f}/account; "
        "the job run's {t} minus {e} of a run with nothing due), {s:.1f}s, "
        "{added} line(s) added".format(
            a=p2["accounts"],
            k=p2["links"],
            r=p2["requests"],
            rpa=p2["requests"] / accounts,
            q=queries,
            qpa=queries / accounts,
            t=p2["queries"],
            e=p2["empty_queries"],
            s=p2["seconds"],
            added=p2["added"],
        )
    )
    for kind, count in sorted(p2["kinds"].items()):
        out.append(f"   {count:3d} {kind}")
    if p2["failed"] or p2["added"]:
        out.append(
            "   WARNING: the nothing-new run failed or added lines "
            f"(connections: {p2['states']})"
        )
    out.append(
        "(system parameter account_bank_sync.cron_time_budget: "
        f"{budget or 'unset, the module default'}; limit_time_real = 120. Compare "
        "ratios, not timings: wall time moves with whatever else runs on the "
        "machine, CPU time much less)"
    )
    return out
