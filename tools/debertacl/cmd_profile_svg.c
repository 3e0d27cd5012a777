/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl profile --svg: a small SVG writer (no plotting dependency) drawing two charts: the time
 * per forward of each op class, stacked, one bar per device side by side; and a roofline
 * (arithmetic intensity vs achieved GFLOP/s, log-log) with each device's measured ceilings. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define W 980.0
#define LEFT 80.0
#define PLOT_W 640.0 /* the legend takes the rest */
#define BAR_TOP 70.0
#define BAR_H 300.0
#define ROOF_TOP 520.0
#define ROOF_H 360.0
#define H_TOTAL 960.0
#define AI_MIN 0.01
#define AI_MAX 1000.0

/* one colour per op class, then idle and host */
static const char *const colours[DCL_OPC_COUNT + 2] = {
    "#8c564b", "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a",
    "#d62728", "#9467bd", "#c5b0d5", "#e377c2", "#7f7f7f", "#d9d9d9", "#f4f4f4",
};

typedef struct svg {
    FILE *f;
    char b[6][40]; /* number buffers, reused per call */
} svg;

static const char *n(svg *s, int slot, double v) { return dcl_cli_num(s->b[slot], sizeof s->b[slot], v, 2); }

static void text_escaped(FILE *f, const char *t, size_t max)
{
    for (size_t i = 0; *t && i < max; t++, i++) {
        switch (*t) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* control characters are not allowed in XML 1.0 */
            if ((unsigned char)*t >= 0x20 || *t == '\t')
                fputc(*t, f);
        }
    }
}

static void text(svg *s, double x, double y, const char *anchor, const char *style, const char *t, size_t max)
{
    fprintf(s->f, "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\"%s%s%s>", n(s, 0, x), n(s, 1, y), anchor,
            style ? " style=\"" : "", style ? style : "", style ? "\"" : "");
    text_escaped(s->f, t, max);
    fputs("</text>\n", s->f);
}

static void line(svg *s, double x1, double y1, double x2, double y2, const char *style)
{
    fprintf(s->f, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" style=\"%s\"/>\n", n(s, 0, x1), n(s, 1, y1),
            n(s, 2, x2), n(s, 3, y2), style);
}

static void rect(svg *s, double x, double y, double w, double h, const char *fill, const char *title)
{
    fprintf(s->f, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\" stroke=\"#ffffff\" "
            "stroke-width=\"0.5\">", n(s, 0, x), n(s, 1, y), n(s, 2, w), n(s, 3, h), fill);
    if (title) {
        fputs("<title>", s->f);
        text_escaped(s->f, title, 512);
        fputs("</title>", s->f);
    }
    fputs("</rect>\n", s->f);
}

/* A marker per device: circle, square, triangle, diamond, then again. */
static void marker(svg *s, int shape, double x, double y, const char *fill, const char *title)
{
    const double r = 5.5;
    switch (shape % 4) {
    case 0: fprintf(s->f, "<circle cx=\"%s\" cy=\"%s\" r=\"%s\"", n(s, 0, x), n(s, 1, y), n(s, 2, r)); break;
    case 1:
        fprintf(s->f, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"", n(s, 0, x - r), n(s, 1, y - r),
                n(s, 2, 2 * r), n(s, 3, 2 * r));
        break;
    case 2:
        fprintf(s->f, "<polygon points=\"%s,%s %s,%s %s,%s\"", n(s, 0, x), n(s, 1, y - r * 1.2), n(s, 2, x - r),
                n(s, 3, y + r), n(s, 4, x + r), n(s, 5, y + r));
        break;
    default:
        fprintf(s->f, "<polygon points=\"%s,%s %s,%s %s,%s", n(s, 0, x), n(s, 1, y - r * 1.3), n(s, 2, x + r),
                n(s, 3, y), n(s, 4, x), n(s, 5, y + r * 1.3));
        fprintf(s->f, " %s,%s\"", n(s, 0, x - r), n(s, 1, y));
    }
    fprintf(s->f, " fill=\"%s\" stroke=\"#222222\" stroke-width=\"1\">", fill);
    if (title) {
        fputs("<title>", s->f);
        text_escaped(s->f, title, 512);
        fputs("</title>", s->f);
    }
    fputs(shape % 4 == 0 ? "</circle>\n" : shape % 4 == 1 ? "</rect>\n" : "</polygon>\n", s->f);
}

static const char *const dashes[4] = {"", ";stroke-dasharray:8,4", ";stroke-dasharray:2,3",
                                     ";stroke-dasharray:10,3,2,3"};

/* A step of 1, 2 or 5 times a power of ten giving about `ticks` intervals up to max. */
static double nice_step(double max, int ticks)
{
    double raw = max / ticks, p = pow(10.0, floor(log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static const char *class_label(int k)
{
    return k < DCL_OPC_COUNT ? dcl_op_class_name((dcl_op_class)k) : k == DCL_OPC_COUNT ? "idle (gaps)" : "host";
}

/* "#1 PoCL 3.1+debian": index, vendor or driver family, driver version (cut) */
static void device_label(const dcl_cli_prof_device *d, char *buf, size_t size)
{
    const char *who = d->info.vendor_short[0] ? d->info.vendor_short : d->info.platform_name;
    int len = snprintf(buf, size, "#%d %s %.12s", d->index, who, d->info.driver_version);
    while (len > 0 && (size_t)len < size && (buf[len - 1] == '.' || buf[len - 1] == '_' || buf[len - 1] == ' '))
        buf[--len] = '\0';
}

/* Tick text of a power of ten: "0.01", "1", "1000". */
static const char *tick(char *buf, size_t size, double v)
{
    int digits = v < 1 ? (int)ceil(-log10(v) - 1e-9) : 0;
    return dcl_cli_num(buf, size, v, digits);
}

static void bars(svg *s, const dcl_cli_prof_run *r)
{
    char t[600], a[32], b[32];
    double max = 0;
    for (int i = 0; i < r->ndev; i++)
        if (r->dev[i].ok && r->dev[i].wall_mean * 1e3 > max)
            max = r->dev[i].wall_mean * 1e3;
    if (max <= 0)
        max = 1;
    double step = nice_step(max, 5), top = ceil(max / step) * step;
    snprintf(t, sizeof t, "Time per forward by op class, %s%s, batch %d x %d (mean of %d runs)", r->model,
             r->synthetic ? " [synthesised]" : "", r->batch, r->length, r->runs);
    text(s, LEFT, 30, "start", "font-size:16px;font-weight:bold", t, 200);
    text(s, LEFT, 50, "start", "font-size:11px;fill:#555555",
         "OpenCL events of every kernel, GEMM and transfer; idle: gaps between them; host: wall clock outside", 200);
    /* axis and grid */
    for (double v = 0; v <= top + step * 0.01; v += step) {
        double y = BAR_TOP + BAR_H - v / top * BAR_H;
        line(s, LEFT, y, LEFT + PLOT_W, y, "stroke:#e0e0e0;stroke-width:1");
        text(s, LEFT - 6, y + 4, "end", "font-size:11px", dcl_cli_num(a, sizeof a, v, step < 1 ? 2 : 0), 32);
    }
    line(s, LEFT, BAR_TOP, LEFT, BAR_TOP + BAR_H, "stroke:#333333;stroke-width:1");
    line(s, LEFT, BAR_TOP + BAR_H, LEFT + PLOT_W, BAR_TOP + BAR_H, "stroke:#333333;stroke-width:1");
    fprintf(s->f, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" transform=\"rotate(-90 %s %s)\" "
            "style=\"font-size:12px\">ms per forward</text>\n", n(s, 0, LEFT - 50), n(s, 1, BAR_TOP + BAR_H / 2),
            n(s, 2, LEFT - 50), n(s, 3, BAR_TOP + BAR_H / 2));
    double slot = PLOT_W / (r->ndev > 0 ? r->ndev : 1), bw = slot * 0.5 < 140 ? slot * 0.5 : 140;
    for (int i = 0; i < r->ndev; i++) {
        const dcl_cli_prof_device *d = &r->dev[i];
        double x = LEFT + slot * (i + 0.5) - bw / 2, y = BAR_TOP + BAR_H;
        for (int k = 0; k < DCL_OPC_COUNT + 2 && d->ok; k++) {
            double v = k < DCL_OPC_COUNT ? d->cls[k].seconds : k == DCL_OPC_COUNT ? d->idle : d->wall_mean - d->span;
            v *= 1e3;
            if (v <= 0)
                continue;
            double h = v / top * BAR_H;
            snprintf(t, sizeof t, "#%d %s: %s ms (%s %%)", d->index, class_label(k), dcl_cli_num(a, sizeof a, v, 3),
                     dcl_cli_num(b, sizeof b, 100.0 * v / (d->wall_mean * 1e3), 1));
            rect(s, x, y - h, bw, h, colours[k], t);
            y -= h;
        }
        device_label(d, t, sizeof t);
        text(s, x + bw / 2, BAR_TOP + BAR_H + 18, "middle", "font-size:12px;font-weight:bold", t, 40);
        text(s, x + bw / 2, BAR_TOP + BAR_H + 33, "middle", "font-size:10px", d->info.name, 44);
        if (d->ok) {
            snprintf(t, sizeof t, "%s ms wall", dcl_cli_num(a, sizeof a, d->wall_mean * 1e3, 2));
            text(s, x + bw / 2, y - 6, "middle", "font-size:11px", t, 40);
        } else {
            text(s, x + bw / 2, BAR_TOP + BAR_H - 10, "middle", "font-size:11px;fill:#b00000", "failed", 40);
        }
    }
    /* legend: the classes some device has, top to bottom as stacked */
    double ly = BAR_TOP;
    for (int k = DCL_OPC_COUNT + 1; k >= 0; k--) {
        int any = k >= DCL_OPC_COUNT;
        for (int i = 0; i < r->ndev && !any; i++)
            any = r->dev[i].ok && r->dev[i].cls[k].launches > 0;
        if (!any)
            continue;
        rect(s, LEFT + PLOT_W + 30, ly, 14, 14, colours[k], NULL);
        text(s, LEFT + PLOT_W + 50, ly + 11, "start", "font-size:12px", class_label(k), 40);
        ly += 20;
    }
}

static double log_x(double ai) { return LEFT + (log10(ai) - log10(AI_MIN)) / (log10(AI_MAX) - log10(AI_MIN)) * PLOT_W; }

static void roofline(svg *s, const dcl_cli_prof_run *r)
{
    char t[600], a[32], b[32];
    double peak = 0;
    for (int i = 0; i < r->ndev; i++) {
        const dcl_cli_prof_device *d = &r->dev[i];
        if (d->has_peak && d->peak.gflops > peak)
            peak = d->peak.gflops;
        for (int k = 0; k < DCL_OPC_COUNT && d->ok; k++)
            if (d->cls[k].seconds > 0 && d->cls[k].flops / d->cls[k].seconds * 1e-9 > peak)
                peak = d->cls[k].flops / d->cls[k].seconds * 1e-9;
    }
    double ymax = pow(10.0, ceil(log10(peak > 0 ? peak * 1.2 : 10))), ymin = ymax * 1e-5;
#define LOG_Y(v) (ROOF_TOP + ROOF_H - (log10(v) - log10(ymin)) / (log10(ymax) - log10(ymin)) * ROOF_H)
    text(s, LEFT, ROOF_TOP - 30, "start", "font-size:16px;font-weight:bold",
         "Roofline: achieved GFLOP/s per op class against the measured peak", 200);
    text(s, LEFT, ROOF_TOP - 12, "start", "font-size:11px;fill:#555555",
         "ceilings: measured FP32 multiply-add peak and read bandwidth x intensity; marker colours: op classes above",
         200);
    for (double v = ymin; v <= ymax * 1.001; v *= 10) {
        double y = LOG_Y(v);
        line(s, LEFT, y, LEFT + PLOT_W, y, "stroke:#e0e0e0;stroke-width:1");
        text(s, LEFT - 6, y + 4, "end", "font-size:11px", tick(a, sizeof a, v), 32);
    }
    for (double v = AI_MIN; v <= AI_MAX * 1.001; v *= 10) {
        double x = log_x(v);
        line(s, x, ROOF_TOP, x, ROOF_TOP + ROOF_H, "stroke:#e0e0e0;stroke-width:1");
        text(s, x, ROOF_TOP + ROOF_H + 16, "middle", "font-size:11px", tick(a, sizeof a, v), 32);
    }
    fprintf(s->f, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"none\" stroke=\"#333333\"/>\n",
            n(s, 0, LEFT), n(s, 1, ROOF_TOP), n(s, 2, PLOT_W), n(s, 3, ROOF_H));
    text(s, LEFT + PLOT_W / 2, ROOF_TOP + ROOF_H + 36, "middle", "font-size:12px",
         "arithmetic intensity (FLOP per byte of global memory)", 80);
    fprintf(s->f, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" transform=\"rotate(-90 %s %s)\" "
            "style=\"font-size:12px\">GFLOP/s</text>\n", n(s, 0, LEFT - 55), n(s, 1, ROOF_TOP + ROOF_H / 2),
            n(s, 2, LEFT - 55), n(s, 3, ROOF_TOP + ROOF_H / 2));
    double ly = ROOF_TOP;
    for (int i = 0; i < r->ndev; i++) {
        const dcl_cli_prof_device *d = &r->dev[i];
        char style[96];
        snprintf(style, sizeof style, "stroke:#222222;stroke-width:2;fill:none%s", dashes[i % 4]);
        if (d->has_peak && d->peak.gbytes > 0) {
            double x0 = AI_MIN, ridge = d->peak.gflops / d->peak.gbytes;
            if (x0 * d->peak.gbytes < ymin)
                x0 = ymin / d->peak.gbytes;
            if (ridge > AI_MAX)
                ridge = AI_MAX;
            fprintf(s->f, "<polyline points=\"%s,%s %s,%s %s,%s\" style=\"%s\"><title>", n(s, 0, log_x(x0)),
                    n(s, 1, LOG_Y(x0 * d->peak.gbytes)), n(s, 2, log_x(ridge)), n(s, 3, LOG_Y(ridge * d->peak.gbytes)),
                    n(s, 4, log_x(AI_MAX)), n(s, 5, LOG_Y(ridge * d->peak.gbytes)), style);
            snprintf(t, sizeof t, "#%d peak: %s GFLOP/s, %s GB/s", d->index,
                     dcl_cli_num(a, sizeof a, d->peak.gflops, 1), dcl_cli_num(b, sizeof b, d->peak.gbytes, 1));
            text_escaped(s->f, t, sizeof t);
            fputs("</title></polyline>\n", s->f);
            text(s, log_x(AI_MAX) - 4, LOG_Y(ridge * d->peak.gbytes) - 5, "end", "font-size:10px", t, 80);
        }
        /* legend: marker and line style of this device */
        marker(s, i, LEFT + PLOT_W + 37, ly + 7, "#ffffff", NULL);
        line(s, LEFT + PLOT_W + 50, ly + 7, LEFT + PLOT_W + 80, ly + 7, style);
        device_label(d, t, sizeof t);
        text(s, LEFT + PLOT_W + 86, ly + 11, "start", "font-size:12px", t, 26);
        ly += 20;
        for (int k = 0; k < DCL_OPC_COUNT && d->ok; k++) {
            const dcl_cli_prof_class *c = &d->cls[k];
            if (c->flops <= 0 || c->bytes <= 0 || c->seconds <= 0)
                continue;
            double ai = c->flops / c->bytes, perf = c->flops / c->seconds * 1e-9;
            if (ai < AI_MIN || ai > AI_MAX || perf < ymin || perf > ymax)
                continue;
            snprintf(t, sizeof t, "#%d %s: %s GFLOP/s at %s FLOP/byte", d->index, dcl_op_class_name((dcl_op_class)k),
                     dcl_cli_num(a, sizeof a, perf, 2), dcl_cli_num(b, sizeof b, ai, 2));
            marker(s, i, log_x(ai), LOG_Y(perf), colours[k], t);
        }
    }
#undef LOG_Y
}

int dcl_cli_prof_svg(const dcl_cli_prof_run *r, FILE *f)
{
    svg s = {f, {{0}}};
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" "
               "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
            n(&s, 0, W), n(&s, 1, H_TOTAL), n(&s, 2, W), n(&s, 3, H_TOTAL));
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%s\" height=\"%s\" fill=\"#ffffff\"/>\n", n(&s, 0, W), n(&s, 1, H_TOTAL));
    bars(&s, r);
    roofline(&s, r);
    fputs("</svg>\n", f);
    return ferror(f) ? -1 : 0;
}
