//! `treaty bench`: runs `treaty_bench` and prints its figures as a table, or
//! as one JSON object with `--json`.

use std::error::Error;

use serde_json::json;
use treaty_bench::{BenchArgs, Report};

use super::shared::table;

/// Runs `treaty bench`.
pub async fn run(args: BenchArgs) -> Result<(), Box<dyn Error>> {
    let report = treaty_bench::run(&args, &std::env::current_exe()?).await?;
    print(&report, &args);
    Ok(())
}

fn print(report: &Report, args: &BenchArgs) {
    let (figures, scale) = (&report.figures, report.scale);
    if args.json {
        let list: Vec<_> = figures
            .iter()
            .map(|f| {
                json!({
                    "name": f.name, "value": f.value, "unit": f.unit,
                    "baseline_name": f.baseline_name, "baseline": f.baseline, "ratio": f.ratio(),
                    "target": f.target, "met": f.met,
                })
            })
            .collect();
        let out = json!({
            "quick": args.quick, "window_seconds": scale.window.as_secs_f64(), "big_log_entries": scale.big_log,
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "figures": list,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return;
    }
    let rows: Vec<Vec<String>> = figures
        .iter()
        .map(|f| {
            let (baseline, ratio) = if f.baseline_name == "—" {
                (String::from("—"), String::new())
            } else {
                (
                    format!("{} = {}", f.baseline_name, num(f.baseline)),
                    format!("{:.2}", f.ratio()),
                )
            };
            let verdict = match (&f.target, f.met) {
                (Some(t), Some(true)) => format!("met ({t})"),
                (Some(t), _) => format!("NOT met ({t})"),
                _ => String::new(),
            };
            vec![
                f.name.clone(),
                format!("{} {}", num(f.value), f.unit),
                baseline,
                ratio,
                verdict,
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["FIGURE", "VALUE", "BASELINE (SAME RUN)", "RATIO", "TARGET"],
            &rows
        )
    );
}

fn num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}
