// The HTML report: one self-contained page (no network), a timeline with a row per
// slot and a bar per job coloured by outcome and marked flaky (F), leaky (L) or slow (S),
// details on hover, each failed job's last stderr lines in the page, the summary and a
// table of jobs. The jobs' data is embedded as JSON that cannot close its <script>
// element (json_for_html_script) and the page's script inserts every value with
// textContent, never as markup: nothing a job prints can script the page.
#include <fmt/format.h>

#include "escape.hpp"
#include "reports.hpp"

namespace concur::cli::run {
namespace {

constexpr const char* kStyle = R"(
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em} .muted{color:#666}
#summary span{display:inline-block;margin-right:1.2em;padding:.2em .5em;border-radius:4px}
.passed{background:#3c9a4b;color:#fff} .failed{background:#c8383a;color:#fff}
.timed_out{background:#e08a1e;color:#fff} .interrupted{background:#7a59c0;color:#fff}
.skipped{background:#aaa;color:#fff}
#timeline{position:relative;border:1px solid #ccc;margin:1em 0;background:#fafafa}
.row{position:relative;height:24px;border-bottom:1px solid #eee}
.row .label{position:absolute;left:4px;top:5px;font-size:11px;color:#888}
.track{position:absolute;left:56px;right:8px;top:0;bottom:0}
.axis{position:relative;height:16px;margin-left:56px;margin-right:8px;font-size:10px;color:#888}
.axis span{position:absolute;top:2px}
.bar{position:absolute;top:3px;height:18px;min-width:2px;border-radius:3px;cursor:pointer;opacity:.9}
.bar:hover{outline:2px solid #000}
.bar .mark{position:absolute;left:2px;top:1px;font:bold 11px monospace;color:#fff;white-space:nowrap}
.bar.flaky{background-image:repeating-linear-gradient(45deg,transparent 0 4px,rgba(255,255,255,.45) 4px 8px)}
.bar.leaky{border:2px dashed #000;box-sizing:border-box} .bar.slow{box-shadow:0 0 0 2px #e0c01e}
.failure{border-left:4px solid #c8383a;margin:.8em 0;padding:.2em .8em;background:#fdf3f3}
.failure h3{font-size:1em;margin:.3em 0;font-family:monospace}
.failure pre{white-space:pre-wrap;font-size:12px;margin:.3em 0}
.legend span{margin-right:1em}
#details{white-space:pre-wrap;font-family:monospace;font-size:12px;background:#f3f3f3;padding:.6em;min-height:3em}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
td.cmd{font-family:monospace;max-width:40em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
)";

constexpr const char* kScript = R"(
(function(){
  var data = JSON.parse(document.getElementById('concur-data').textContent);
  var wall = Math.max(data.summary.wall_s, 1e-6);
  var tl = document.getElementById('timeline');
  var details = document.getElementById('details');
  var rows = {};
  for (var s = 1; s <= data.slots; s++) {
    var row = document.createElement('div'); row.className = 'row';
    var label = document.createElement('span'); label.className = 'label';
    label.textContent = 'slot ' + s; row.appendChild(label);
    var track = document.createElement('div'); track.className = 'track';
    row.appendChild(track); tl.appendChild(row); rows[s] = track;
  }
  var axis = document.createElement('div'); axis.className = 'axis';
  for (var k = 0; k <= 4; k++) {
    var tick = document.createElement('span');
    tick.style.left = (k * 25) + '%';
    tick.textContent = (wall * k / 4).toFixed(wall < 10 ? 2 : 0) + 's';
    if (k === 4) { tick.style.left = ''; tick.style.right = '0'; }
    axis.appendChild(tick);
  }
  tl.appendChild(axis);
  function markers(j) {
    return (j.flaky ? 'F' : '') + (j.leaky ? 'L' : '') + (j.slow ? 'S' : '');
  }
  function describe(j) {
    var status = j.signal ? 'signal ' + j.signal : 'exit ' + j.exit_status;
    var text = '#' + j.seq + ' ' + j.outcome + ' (' + status + ', ' + j.runtime_s.toFixed(3) + 's' +
               (j.attempts > 1 ? ', ' + j.attempts + ' attempts' : '') + ')\n' + j.command;
    if (j.cwd !== null) text += '\n(in ' + j.cwd + ')';
    if (j.output_held_open) text += '\n(output pipe held open by a leftover process)';
    if (j.flaky) text += '\nflaky: failed ' + j.failed_attempts.length + ' time(s), then passed';
    if (j.leaky) text += '\nleaky: left ' + j.leftovers.join(', ');
    if (j.slow) text += '\nslow (--slow)';
    if (j.stderr_tail) text += '\n--- stderr (tail) ---\n' + j.stderr_tail.split('\n').slice(-12).join('\n');
    return text;
  }
  var table = document.getElementById('jobs');
  var failures = document.getElementById('failures');
  data.jobs.forEach(function(j) {
    if (j.started && rows[j.slot]) {
      var bar = document.createElement('div');
      bar.className = 'bar ' + j.outcome + (j.flaky ? ' flaky' : '') + (j.leaky ? ' leaky' : '') +
                      (j.slow ? ' slow' : '');
      if (markers(j)) {
        var mark = document.createElement('span'); mark.className = 'mark';
        mark.textContent = markers(j); bar.appendChild(mark);
      }
      bar.style.left = (100 * j.start_offset_s / wall) + '%';
      bar.style.width = Math.max(0.2, 100 * j.runtime_s / wall) + '%';
      bar.title = describe(j);
      bar.setAttribute('data-seq', String(j.seq));
      bar.addEventListener('mouseenter', function() { details.textContent = describe(j); });
      rows[j.slot].appendChild(bar);
    }
    if (j.outcome === 'failed' || j.outcome === 'timed_out') {
      var sec = document.createElement('section'); sec.className = 'failure';
      sec.setAttribute('data-seq', String(j.seq));
      var h = document.createElement('h3');
      h.textContent = '#' + j.seq + ' ' + j.name + ': ' + j.outcome +
                      (j.signal ? ' (signal ' + j.signal + ')' : ' (exit ' + j.exit_status + ')') +
                      (j.leaky ? ', leaky' : '');
      sec.appendChild(h);
      var cmd = document.createElement('div'); cmd.className = 'muted'; cmd.textContent = j.command;
      sec.appendChild(cmd);
      var pre = document.createElement('pre');
      var lines = j.stderr_tail.replace(/\n$/, '').split('\n').slice(-20).join('\n');
      if (j.leaky) lines += (lines ? '\n' : '') + 'left behind: ' + j.leftovers.join('; ');
      pre.textContent = lines || '(no stderr)';
      sec.appendChild(pre);
      failures.appendChild(sec);
    }
    var tr = document.createElement('tr');
    [String(j.seq), j.outcome + (markers(j) ? ' ' + markers(j) : ''), j.signal ? 'signal ' + j.signal : String(j.exit_status),
     j.runtime_s.toFixed(3), j.values.length ? j.values.join(' ') : j.name, j.command].forEach(function(v, i) {
      var td = document.createElement('td'); td.textContent = v;
      if (i === 1) td.className = j.outcome;
      if (i >= 4) { td.className = 'cmd'; td.title = v; }
      tr.appendChild(td);
    });
    table.appendChild(tr);
  });
  document.body.setAttribute('data-rendered', 'yes');
})();
)";

}  // namespace

void write_html(const std::string& path, const std::vector<JobResult>& results, const Totals& t,
                int slots) {
  nlohmann::json jobs = nlohmann::json::array();
  int max_slot = slots;
  for (const auto& r : results) {
    nlohmann::json j = job_json(r);
    jobs.push_back(std::move(j));
    max_slot = std::max(max_slot, r.slot);
  }
  const nlohmann::json summary = {{"wall_s", t.wall}, {"jobs", t.jobs}};
  const nlohmann::json data = {{"summary", summary}, {"slots", max_slot}, {"jobs", jobs}};
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<title>concur run report</title>\n<style>" + std::string(kStyle) +
       "</style></head>\n<body>\n";
  h += "<h1>concur run</h1>\n<div id=\"summary\">";
  h += fmt::format(
      "<span class=\"passed\">{} passed</span><span class=\"failed\">{} failed</span>"
      "<span class=\"timed_out\">{} timed out</span><span class=\"skipped\">{} skipped</span>"
      "<span class=\"interrupted\">{} interrupted</span>"
      "<span class=\"flaky-count\">{} flaky</span><span class=\"leaky-count\">{} leaky</span>"
      "<span class=\"slow-count\">{} slow</span>",
      t.passed, t.failed, t.timed_out, t.skipped, t.interrupted, t.flaky, t.leaky, t.slow);
  h += fmt::format(
      "<p class=\"muted\">{} jobs, wall time {:.3f}s, sum of job times {:.3f}s (speed-up {:.2f}x), "
      "exit status {}{}</p></div>\n",
      t.jobs, t.wall, t.job_time, t.wall > 0 ? t.job_time / t.wall : 0.0, t.exit_status,
      t.interrupted_by != 0 ? fmt::format(", interrupted by signal {}", t.interrupted_by) : "");
  h += "<h2>Timeline (a row per slot; hover a bar for details)</h2>\n<div id=\"timeline\"></div>\n";
  h += "<p class=\"legend muted\"><span>F flaky (failed, then passed on a retry)</span><span>L "
       "leaky (left processes behind)</span><span>S slow (--slow)</span></p>\n";
  h += "<div id=\"details\" class=\"muted\">hover a job</div>\n";
  h += "<h2>Failures (the last lines of stderr)</h2>\n<div id=\"failures\"></div>\n";
  h += "<h2>Jobs</h2>\n<table><thead><tr><th>#</th><th>outcome</th><th>exit</th><th>time "
       "(s)</th><th>value / name</th><th>command</th></tr></thead><tbody "
       "id=\"jobs\"></tbody></table>\n";
  h += "<script type=\"application/json\" id=\"concur-data\">" + json_for_html_script(data) +
       "</script>\n";
  h += "<script>" + std::string(kScript) + "</script>\n</body></html>\n";
  write_file(path, h);
}

}  // namespace concur::cli::run
