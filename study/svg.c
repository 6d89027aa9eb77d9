/* svg.c: the SVG writer and plot layer used by the bench report (see svg.h). A plot keeps its data
 * elements in one buffer and its legend entries in a list; llmbo_plot_finish composes background,
 * grid, clipped data, frame, ticks, labels and legend in that order, so grid lines stay under the
 * data. Coordinates are printed with two decimals: the same inputs give the same bytes. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "llmbo_common.h"
#include "strbuf.h"
#include "utf8.h"
#include "fileio.h"
#include "svg.h"

struct llmbo_svg {
    llmbo_strbuf text; /* the document so far; text.oom: the document is unusable */
    double width, height;
    int finished;
};

static void svg_printf(llmbo_svg *svg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void svg_printf(llmbo_svg *svg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    llmbo_strbuf_vprintf(&svg->text, fmt, ap);
    va_end(ap);
}

/* Appends text with the XML special characters escaped. A name from a config may hold bytes
 * that are not UTF-8 or control characters XML 1.0 forbids (the document would not be
 * well-formed): those become U+FFFD, the replacement character. */
static void svg_escaped(llmbo_svg *svg, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n;) {
        size_t k = llmbo_utf8_seq_len((const unsigned char *)s + i, n - i);
        unsigned char c = (unsigned char)s[i];
        if (k == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
            llmbo_strbuf_puts(&svg->text, "\xEF\xBF\xBD");
            i++;
            continue;
        }
        if (k > 1) {
            llmbo_strbuf_add(&svg->text, s + i, k);
            i += k;
            continue;
        }
        switch (c) {
        case '&':
            svg_printf(svg, "&amp;");
            break;
        case '<':
            svg_printf(svg, "&lt;");
            break;
        case '>':
            svg_printf(svg, "&gt;");
            break;
        case '"':
            svg_printf(svg, "&quot;");
            break;
        default:
            svg_printf(svg, "%c", c);
        }
        i++;
    }
}

/* Prints a coordinate with two decimals, never "-0.00". */
static double fix(double v)
{
    if (!isfinite(v))
        return 0.0;
    double r = round(v * 100.0) / 100.0;
    return r == 0.0 ? 0.0 : r;
}

llmbo_svg *llmbo_svg_create(double width, double height)
{
    llmbo_svg *svg = llmbo_calloc(1, sizeof *svg);
    if (!svg)
        return NULL;
    svg->width = width;
    svg->height = height;
    svg_printf(svg,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, "
               "sans-serif\">\n"
               "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n",
               width, height, width, height, width, height);
    if (svg->text.oom) {
        llmbo_svg_free(svg);
        return NULL;
    }
    return svg;
}

void llmbo_svg_free(llmbo_svg *svg)
{
    if (!svg)
        return;
    llmbo_strbuf_free(&svg->text);
    llmbo_free(svg);
}

static void dash_attr(llmbo_svg *svg, const char *dash)
{
    if (dash && *dash)
        svg_printf(svg, " stroke-dasharray=\"%s\"", dash);
}

void llmbo_svg_line(llmbo_svg *svg, double x1, double y1, double x2, double y2, const char *color,
                    double width, const char *dash)
{
    svg_printf(svg,
               "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
               "stroke-width=\"%.2f\"",
               fix(x1), fix(y1), fix(x2), fix(y2), color, width);
    dash_attr(svg, dash);
    svg_printf(svg, "/>\n");
}

void llmbo_svg_polyline(llmbo_svg *svg, const double *x, const double *y, int n, const char *color,
                        double width, const char *dash)
{
    if (n < 1)
        return;
    svg_printf(svg,
               "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.2f\" "
               "stroke-linejoin=\"round\"",
               color, width);
    dash_attr(svg, dash);
    svg_printf(svg, " points=\"");
    for (int i = 0; i < n; i++)
        svg_printf(svg, "%s%.2f,%.2f", i ? " " : "", fix(x[i]), fix(y[i]));
    svg_printf(svg, "\"/>\n");
}

void llmbo_svg_polygon(llmbo_svg *svg, const double *x, const double *y, int n, const char *fill,
                       double opacity)
{
    if (n < 3)
        return;
    svg_printf(svg, "<polygon fill=\"%s\" fill-opacity=\"%.2f\" stroke=\"none\" points=\"", fill,
               opacity);
    for (int i = 0; i < n; i++)
        svg_printf(svg, "%s%.2f,%.2f", i ? " " : "", fix(x[i]), fix(y[i]));
    svg_printf(svg, "\"/>\n");
}

void llmbo_svg_rect(llmbo_svg *svg, double x, double y, double w, double h, const char *fill,
                    const char *stroke)
{
    svg_printf(svg,
               "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
               "stroke=\"%s\"/>\n",
               fix(x), fix(y), fix(w), fix(h), fill ? fill : "none", stroke ? stroke : "none");
}

void llmbo_svg_marker(llmbo_svg *svg, double x, double y, double r, int marker, const char *color,
                      int filled)
{
    const char *fill = filled ? color : "white";
    x = fix(x);
    y = fix(y);
    switch (marker) {
    case 1:
        svg_printf(svg,
                   "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
                   "stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                   fix(x - r), fix(y - r), fix(2 * r), fix(2 * r), fill, color);
        break;
    case 2:
        svg_printf(svg,
                   "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\" stroke=\"%s\" "
                   "stroke-width=\"1.5\"/>\n",
                   x, fix(y - 1.2 * r), fix(x - 1.1 * r), fix(y + 0.8 * r), fix(x + 1.1 * r),
                   fix(y + 0.8 * r), fill, color);
        break;
    case 3:
        svg_printf(svg,
                   "<polygon points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"%s\" "
                   "stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                   x, fix(y - 1.3 * r), fix(x + 1.3 * r), y, x, fix(y + 1.3 * r), fix(x - 1.3 * r),
                   y, fill, color);
        break;
    default:
        svg_printf(svg,
                   "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%s\" stroke=\"%s\" "
                   "stroke-width=\"1.5\"/>\n",
                   x, y, r, fill, color);
    }
}

static void text_open(llmbo_svg *svg, double x, double y, const char *anchor, double size,
                      double rotate)
{
    svg_printf(svg, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"%s\"", fix(x),
               fix(y), size, anchor);
    if (rotate != 0.0)
        svg_printf(svg, " transform=\"rotate(%.1f %.2f %.2f)\"", rotate, fix(x), fix(y));
    svg_printf(svg, ">");
}

void llmbo_svg_text(llmbo_svg *svg, double x, double y, const char *anchor, double size,
                    double rotate, const char *text)
{
    text_open(svg, x, y, anchor, size, rotate);
    svg_escaped(svg, text);
    svg_printf(svg, "</text>\n");
}

void llmbo_svg_text_pow10(llmbo_svg *svg, double x, double y, const char *anchor, double size,
                          int exponent)
{
    text_open(svg, x, y, anchor, size, 0.0);
    if (exponent == 0)
        svg_printf(svg, "1");
    else if (exponent == 1)
        svg_printf(svg, "10");
    else
        svg_printf(svg, "10<tspan dy=\"-%.1f\" font-size=\"%.1f\">%d</tspan>", 0.4 * size,
                   0.75 * size, exponent);
    svg_printf(svg, "</text>\n");
}

const char *llmbo_svg_finish(llmbo_svg *svg)
{
    if (!svg->finished) {
        svg_printf(svg, "</svg>\n");
        svg->finished = 1;
    }
    return svg->text.oom ? NULL : svg->text.s;
}

llmbo_status llmbo_svg_write(llmbo_svg *svg, const char *path, llmbo_error *err)
{
    const char *text = llmbo_svg_finish(svg);
    if (!text)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory drawing the plot", path);
    return llmbo_write_file_atomic(path, text, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Plots                                                                                       */
/* ------------------------------------------------------------------------------------------ */

#define LEGEND_MAX 32
#define LABEL_MAX  64
#define LABEL_FONT 11.0

typedef struct legend_entry {
    char name[96];
    char color[16];
    char dash[16];
    int marker;
} legend_entry;

typedef struct axis {
    double lo, hi; /* data range after widening (log axes: powers of ten) */
    int log;
} axis;

typedef struct plot_label {
    double x, y; /* data coordinates of the point labelled */
    char text[96];
    char color[16];
} plot_label;

struct llmbo_plot {
    double width, height;
    double left, right, top, bottom; /* frame in pixels */
    axis ax, ay;
    char title[256], xlabel[128], ylabel[128];
    llmbo_svg *data; /* data layer (only its body is used) */
    llmbo_svg *doc;  /* the composed document, made by finish */
    legend_entry legend[LEGEND_MAX];
    int n_legend;
    int legend_corner; /* 0 top-right, 1 bottom-left, 2 top-left, 3 bottom-right */
    char notes[4][200];
    int n_notes;
    plot_label labels[LABEL_MAX];
    int n_labels;
};

static const char *const palette[10] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

const char *llmbo_plot_color(int i)
{
    if (i < 0)
        i = -i;
    return palette[i % 10];
}

static double nice_step(double range, int max_ticks)
{
    if (max_ticks < 2)
        max_ticks = 2;
    double raw = range / (max_ticks - 1);
    if (!(raw > 0.0) || !isfinite(raw))
        return 1.0;
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    double s = m <= 1.0 ? 1.0 : m <= 2.0 ? 2.0 : m <= 5.0 ? 5.0 : 10.0;
    return s * p;
}

int llmbo_nice_ticks(double lo, double hi, int max_ticks, double *ticks, double *step)
{
    if (!(hi > lo))
        hi = lo + 1.0;
    double s = nice_step(hi - lo, max_ticks);
    /* The step grows until the covering tick count fits. */
    int n;
    for (;;) {
        double a = floor(lo / s + 1e-9) * s, b = ceil(hi / s - 1e-9) * s;
        n = (int)llround((b - a) / s) + 1;
        if (n <= max_ticks || n <= 2) {
            for (int i = 0; i < n; i++) {
                double t = a + i * s;
                ticks[i] = fabs(t) < 1e-12 * s ? 0.0 : t;
            }
            break;
        }
        s = nice_step(s * 2.01 * (max_ticks - 1), max_ticks);
    }
    if (step)
        *step = s;
    return n;
}

static void axis_setup(axis *a, double lo, double hi, int log_scale)
{
    a->log = log_scale;
    if (log_scale) {
        if (!(lo > 0.0) || !isfinite(lo))
            lo = 1e-12;
        if (!(hi > 0.0) || !isfinite(hi))
            hi = lo * 10.0;
        if (hi < lo)
            hi = lo;
        double elo = floor(log10(lo) + 1e-9), ehi = ceil(log10(hi) - 1e-9);
        if (ehi <= elo)
            ehi = elo + 1.0;
        a->lo = pow(10.0, elo);
        a->hi = pow(10.0, ehi);
    } else {
        if (!isfinite(lo))
            lo = 0.0;
        if (!isfinite(hi))
            hi = lo + 1.0;
        if (hi <= lo) {
            double w = fabs(lo) > 0 ? 0.1 * fabs(lo) : 1.0;
            lo -= w;
            hi += w;
        }
        double t[64], s;
        int n = llmbo_nice_ticks(lo, hi, 7, t, &s);
        a->lo = t[0];
        a->hi = t[n - 1];
    }
}

/* Position of v in [0, 1] along the axis, clamped. */
static double axis_frac(const axis *a, double v)
{
    double f;
    if (a->log) {
        if (!(v > 0.0))
            return 0.0;
        f = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    } else {
        f = (v - a->lo) / (a->hi - a->lo);
    }
    if (isnan(f))
        return 0.0;
    return f < 0.0 ? 0.0 : f > 1.0 ? 1.0 : f;
}

double llmbo_plot_px(const llmbo_plot *plot, double x)
{
    return plot->left + axis_frac(&plot->ax, x) * (plot->right - plot->left);
}

double llmbo_plot_py(const llmbo_plot *plot, double y)
{
    return plot->bottom - axis_frac(&plot->ay, y) * (plot->bottom - plot->top);
}

static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

llmbo_plot *llmbo_plot_create(double width, double height, const char *title, const char *xlabel,
                              const char *ylabel, double xlo, double xhi, int xlog, double ylo,
                              double yhi, int ylog)
{
    llmbo_plot *p = llmbo_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->data = llmbo_svg_create(width, height);
    if (!p->data) {
        llmbo_free(p);
        return NULL;
    }
    p->data->text.len = 0; /* only the body is used: drop the document header */
    p->data->text.s[0] = '\0';
    p->width = width;
    p->height = height;
    p->left = 78;
    p->right = width - 24;
    p->top = 40;
    p->bottom = height - 56;
    axis_setup(&p->ax, xlo, xhi, xlog);
    axis_setup(&p->ay, ylo, yhi, ylog);
    copy_str(p->title, sizeof p->title, title);
    copy_str(p->xlabel, sizeof p->xlabel, xlabel);
    copy_str(p->ylabel, sizeof p->ylabel, ylabel);
    return p;
}

void llmbo_plot_free(llmbo_plot *plot)
{
    if (!plot)
        return;
    llmbo_svg_free(plot->data);
    llmbo_svg_free(plot->doc);
    llmbo_free(plot);
}

static int usable(const llmbo_plot *p, double x, double y)
{
    if (!isfinite(x) || !isfinite(y))
        return 0;
    if (p->ax.log && !(x > 0.0))
        return 0;
    if (p->ay.log && !(y > 0.0))
        return 0;
    return 1;
}

void llmbo_plot_band(llmbo_plot *plot, const double *x, const double *lo, const double *hi, int n,
                     const char *color)
{
    double *px = llmbo_malloc((size_t)(2 * n + 2), sizeof(double));
    double *py = llmbo_malloc((size_t)(2 * n + 2), sizeof(double));
    if (!px || !py) {
        plot->data->text.oom = 1;
        llmbo_free(px);
        llmbo_free(py);
        return;
    }
    int i = 0;
    while (i < n) {
        while (i < n && !(usable(plot, x[i], lo[i]) && usable(plot, x[i], hi[i])))
            i++;
        int start = i;
        while (i < n && usable(plot, x[i], lo[i]) && usable(plot, x[i], hi[i]))
            i++;
        int m = 0;
        for (int k = start; k < i; k++) {
            px[m] = llmbo_plot_px(plot, x[k]);
            py[m++] = llmbo_plot_py(plot, hi[k]);
        }
        for (int k = i - 1; k >= start; k--) {
            px[m] = llmbo_plot_px(plot, x[k]);
            py[m++] = llmbo_plot_py(plot, lo[k]);
        }
        llmbo_svg_polygon(plot->data, px, py, m, color, 0.18);
    }
    llmbo_free(px);
    llmbo_free(py);
}

void llmbo_plot_line(llmbo_plot *plot, const double *x, const double *y, int n, const char *color,
                     double width, const char *dash)
{
    double *px = llmbo_malloc((size_t)n + 1, sizeof(double));
    double *py = llmbo_malloc((size_t)n + 1, sizeof(double));
    if (!px || !py) {
        plot->data->text.oom = 1;
        llmbo_free(px);
        llmbo_free(py);
        return;
    }
    int i = 0;
    while (i < n) {
        while (i < n && !usable(plot, x[i], y[i]))
            i++;
        int m = 0;
        while (i < n && usable(plot, x[i], y[i])) {
            px[m] = llmbo_plot_px(plot, x[i]);
            py[m++] = llmbo_plot_py(plot, y[i]);
            i++;
        }
        if (m == 1)
            llmbo_svg_marker(plot->data, px[0], py[0], 2.0, 0, color, 1);
        else
            llmbo_svg_polyline(plot->data, px, py, m, color, width, dash);
    }
    llmbo_free(px);
    llmbo_free(py);
}

void llmbo_plot_marker(llmbo_plot *plot, double x, double y, int marker, const char *color,
                       int filled, const char *label)
{
    if (!usable(plot, x, y))
        return;
    double px = llmbo_plot_px(plot, x), py = llmbo_plot_py(plot, y);
    llmbo_svg_marker(plot->data, px, py, 5.0, marker, color, filled);
    if (label && *label)
        llmbo_plot_label(plot, x, y, label, "#222222");
}

void llmbo_plot_label(llmbo_plot *plot, double x, double y, const char *text, const char *color)
{
    if (plot->n_labels >= LABEL_MAX || !usable(plot, x, y))
        return;
    plot_label *l = &plot->labels[plot->n_labels++];
    l->x = x;
    l->y = y;
    copy_str(l->text, sizeof l->text, text);
    copy_str(l->color, sizeof l->color, color);
}

/* Width of text at font size px: 0.6 em per character (DejaVu Sans averages 0.55-0.6 em), one
 * character per UTF-8 sequence. */
static double text_width(const char *t, double px)
{
    double n = 0;
    for (; *t; t++)
        n += ((unsigned char)*t & 0xC0) != 0x80;
    return 0.6 * px * n;
}

static int boxes_overlap(const llmbo_label *a, const llmbo_label *b)
{
    return a->bx < b->bx + b->bw && b->bx < a->bx + a->bw && a->by < b->by + b->bh &&
           b->by < a->by + a->bh;
}

int llmbo_labels_place(llmbo_label *l, int n_fixed, int n, double left, double top, double right,
                       double bottom)
{
    int unresolved = 0;
    for (int i = n_fixed; i < n; i++) {
        llmbo_label *c = &l[i];
        int placed = 0;
        /* Above the point, right then left, then stepping one line down or up at a time. */
        for (int k = 0; k <= 60 && !placed; k++) {
            double dy = (k % 2 ? -1.0 : 1.0) * ((k + 1) / 2) * (c->h + 1);
            for (int side = 0; side < 2 && !placed; side++) {
                c->bx = side == 0 ? c->x + 8 : c->x - 8 - c->w;
                c->by = c->y - c->h - 2 + dy; /* just above the point: off its line */
                c->bw = c->w;
                c->bh = c->h;
                if (c->bx < left || c->bx + c->bw > right || c->by < top || c->by + c->bh > bottom)
                    continue;
                placed = 1;
                for (int j = 0; j < i && placed; j++)
                    placed = !boxes_overlap(c, &l[j]);
            }
        }
        if (!placed) {
            c->bx = c->x + 8;
            c->by = c->y - c->h - 2;
            unresolved++;
        }
    }
    return unresolved;
}

/* The queued labels, placed so that no two boxes overlap, with a leader line from the point to
 * a label that had to move away from it. */
/* The legend's box (top-left corner and size); w = 0 without a legend. */
static void legend_box(const llmbo_plot *p, double *x0, double *y0, double *w, double *h)
{
    size_t longest = 0;
    for (int i = 0; i < p->n_legend; i++)
        if (strlen(p->legend[i].name) > longest)
            longest = strlen(p->legend[i].name);
    *w = p->n_legend ? 44 + 6.6 * (double)longest : 0;
    *h = 8 + 17.0 * p->n_legend;
    *x0 = (p->legend_corner == 1 || p->legend_corner == 2) ? p->left + 8 : p->right - *w - 8;
    *y0 = (p->legend_corner == 1 || p->legend_corner == 3) ? p->bottom - *h - 8 : p->top + 8;
}

static void draw_labels(llmbo_plot *p, llmbo_svg *d)
{
    llmbo_label all[LABEL_MAX + 1], *l = all + 1;
    /* The legend is an obstacle the labels keep clear of. */
    legend_box(p, &all[0].bx, &all[0].by, &all[0].bw, &all[0].bh);
    for (int i = 0; i < p->n_labels; i++) {
        l[i].x = llmbo_plot_px(p, p->labels[i].x);
        l[i].y = llmbo_plot_py(p, p->labels[i].y);
        l[i].w = text_width(p->labels[i].text, LABEL_FONT) + 2;
        l[i].h = LABEL_FONT + 3;
    }
    llmbo_labels_place(all, 1, p->n_labels + 1, p->left + 2, p->top + 2, p->right - 2,
                       p->bottom - 2);
    for (int i = 0; i < p->n_labels; i++) {
        double cy = l[i].by + l[i].bh / 2;
        if (fabs(cy - l[i].y) > 1.6 * l[i].h)
            llmbo_svg_line(d, l[i].bx < l[i].x ? l[i].bx + l[i].bw : l[i].bx, cy, l[i].x, l[i].y,
                           "#999999", 0.8, NULL);
        svg_printf(d,
                   "<text class=\"label\" x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" "
                   "text-anchor=\"start\" fill=\"%s\">",
                   fix(l[i].bx + 1), fix(l[i].by + l[i].bh - 4), LABEL_FONT, p->labels[i].color);
        svg_escaped(d, p->labels[i].text);
        svg_printf(d, "</text>\n");
    }
}

void llmbo_plot_legend(llmbo_plot *plot, const char *name, const char *color, int marker,
                       const char *dash)
{
    if (plot->n_legend >= LEGEND_MAX)
        return;
    legend_entry *e = &plot->legend[plot->n_legend++];
    copy_str(e->name, sizeof e->name, name);
    copy_str(e->color, sizeof e->color, color);
    copy_str(e->dash, sizeof e->dash, dash);
    e->marker = marker;
}

void llmbo_plot_note(llmbo_plot *plot, const char *text)
{
    if (plot->n_notes < 4)
        copy_str(plot->notes[plot->n_notes++], sizeof plot->notes[0], text);
}

void llmbo_plot_legend_corner(llmbo_plot *plot, int corner)
{
    plot->legend_corner = corner < 0 || corner > 3 ? 0 : corner;
}

/* Formats a linear tick value with as many decimals as the step needs. */
static void tick_label(char *buf, size_t n, double v, double step)
{
    double a = fabs(v) > fabs(step) ? fabs(v) : fabs(step);
    if (a >= 1e5 || (a > 0 && a < 1e-3)) {
        snprintf(buf, n, "%.3g", v);
        return;
    }
    int dec = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, n, "%.*f", dec, v == 0.0 ? 0.0 : v);
}

static void draw_frame(llmbo_plot *p, llmbo_svg *d)
{
    const char *grid = "#e4e4e4", *ink = "#222222";
    double L = p->left, R = p->right, T = p->top, B = p->bottom;
    char buf[64];

    /* x axis ticks and grid */
    if (p->ax.log) {
        int e0 = (int)llround(log10(p->ax.lo)), e1 = (int)llround(log10(p->ax.hi));
        int every = (e1 - e0 + 7) / 8;
        for (int e = e0; e <= e1; e++) {
            double x = llmbo_plot_px(p, pow(10.0, e));
            llmbo_svg_line(d, x, T, x, B, grid, 1.0, NULL);
            llmbo_svg_line(d, x, B, x, B + 6, ink, 1.0, NULL);
            if ((e - e0) % (every ? every : 1) == 0)
                llmbo_svg_text_pow10(d, x, B + 21, "middle", 12, e);
            for (int k = 2; k <= 9 && e < e1 && e1 - e0 <= 6; k++) {
                double xm = llmbo_plot_px(p, k * pow(10.0, e));
                llmbo_svg_line(d, xm, B, xm, B + 3, ink, 0.8, NULL);
            }
        }
    } else {
        double t[64], s;
        int n = llmbo_nice_ticks(p->ax.lo, p->ax.hi, 9, t, &s);
        for (int i = 0; i < n; i++) {
            double x = llmbo_plot_px(p, t[i]);
            llmbo_svg_line(d, x, T, x, B, grid, 1.0, NULL);
            llmbo_svg_line(d, x, B, x, B + 6, ink, 1.0, NULL);
            tick_label(buf, sizeof buf, t[i], s);
            llmbo_svg_text(d, x, B + 21, "middle", 12, 0, buf);
        }
    }
    /* y axis ticks and grid */
    if (p->ay.log) {
        int e0 = (int)llround(log10(p->ay.lo)), e1 = (int)llround(log10(p->ay.hi));
        int every = (e1 - e0 + 9) / 10;
        for (int e = e0; e <= e1; e++) {
            double y = llmbo_plot_py(p, pow(10.0, e));
            llmbo_svg_line(d, L, y, R, y, grid, 1.0, NULL);
            llmbo_svg_line(d, L - 6, y, L, y, ink, 1.0, NULL);
            if ((e - e0) % (every ? every : 1) == 0)
                llmbo_svg_text_pow10(d, L - 9, y + 4, "end", 12, e);
            for (int k = 2; k <= 9 && e < e1 && e1 - e0 <= 6; k++) {
                double ym = llmbo_plot_py(p, k * pow(10.0, e));
                llmbo_svg_line(d, L - 3, ym, L, ym, ink, 0.8, NULL);
            }
        }
    } else {
        double t[64], s;
        int n = llmbo_nice_ticks(p->ay.lo, p->ay.hi, 8, t, &s);
        for (int i = 0; i < n; i++) {
            double y = llmbo_plot_py(p, t[i]);
            llmbo_svg_line(d, L, y, R, y, grid, 1.0, NULL);
            llmbo_svg_line(d, L - 6, y, L, y, ink, 1.0, NULL);
            tick_label(buf, sizeof buf, t[i], s);
            llmbo_svg_text(d, L - 9, y + 4, "end", 12, 0, buf);
        }
    }
}

static void draw_labels_and_legend(llmbo_plot *p, llmbo_svg *d)
{
    const char *ink = "#222222";
    double L = p->left, R = p->right, T = p->top, B = p->bottom;
    llmbo_svg_rect(d, L, T, R - L, B - T, NULL, ink);
    llmbo_svg_text(d, (L + R) / 2, 24, "middle", 15, 0, p->title);
    llmbo_svg_text(d, (L + R) / 2, p->height - 14, "middle", 13, 0, p->xlabel);
    llmbo_svg_text(d, 18, (T + B) / 2, "middle", 13, -90, p->ylabel);
    for (int i = 0; i < p->n_notes; i++) {
        double y = (T + B) / 2 + 20.0 * (i - (p->n_notes - 1) / 2.0);
        svg_printf(d, "<g fill=\"#b00020\">\n");
        llmbo_svg_text(d, (L + R) / 2, y, "middle", 14, 0, p->notes[i]);
        svg_printf(d, "</g>\n");
    }
    draw_labels(p, d);
    if (p->n_legend == 0)
        return;
    double x0, y0, w, h;
    legend_box(p, &x0, &y0, &w, &h);
    svg_printf(d,
               "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"white\" "
               "fill-opacity=\"0.88\" stroke=\"#999999\"/>\n",
               fix(x0), fix(y0), fix(w), fix(h));
    for (int i = 0; i < p->n_legend; i++) {
        const legend_entry *e = &p->legend[i];
        double y = y0 + 13 + 17.0 * i;
        if (e->marker < 0 || e->dash[0])
            llmbo_svg_line(d, x0 + 6, y - 4, x0 + 30, y - 4, e->color, 2.2,
                           e->dash[0] ? e->dash : NULL);
        if (e->marker >= 0)
            llmbo_svg_marker(d, x0 + 18, y - 4, 4.0, e->marker, e->color, 1);
        llmbo_svg_text(d, x0 + 36, y, "start", 11.5, 0, e->name);
    }
}

/* Draws p into d: frame, the data clipped to it (clip path id), labels and legend. */
static void compose(llmbo_plot *p, llmbo_svg *d, const char *id)
{
    draw_frame(p, d);
    svg_printf(d,
               "<clipPath id=\"%s\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
               "height=\"%.2f\"/></clipPath>\n<g clip-path=\"url(#%s)\">\n",
               id, fix(p->left - 6), fix(p->top - 6), fix(p->right - p->left + 12),
               fix(p->bottom - p->top + 12), id);
    if (p->data->text.oom)
        d->text.oom = 1;
    else
        svg_printf(d, "%s", p->data->text.s ? p->data->text.s : "");
    svg_printf(d, "</g>\n");
    draw_labels_and_legend(p, d);
}

const char *llmbo_plot_finish(llmbo_plot *p)
{
    if (p->doc)
        return llmbo_svg_finish(p->doc);
    p->doc = llmbo_svg_create(p->width, p->height);
    if (!p->doc)
        return NULL;
    compose(p, p->doc, "frame");
    return llmbo_svg_finish(p->doc);
}

llmbo_status llmbo_plots_write_stacked(llmbo_plot *const *plots, int n, const char *path,
                                       llmbo_error *err)
{
    double w = 0, h = 0;
    for (int i = 0; i < n; i++) {
        w = fmax(w, plots[i]->width);
        h += plots[i]->height;
    }
    llmbo_svg *d = llmbo_svg_create(w, h);
    if (!d)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory drawing the plot", path);
    double y = 0;
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "frame%d", i);
        svg_printf(d, "<g transform=\"translate(0 %.2f)\">\n", fix(y));
        compose(plots[i], d, id);
        svg_printf(d, "</g>\n");
        y += plots[i]->height;
    }
    llmbo_status st = llmbo_svg_write(d, path, err);
    llmbo_svg_free(d);
    return st;
}

llmbo_status llmbo_plot_write(llmbo_plot *plot, const char *path, llmbo_error *err)
{
    const char *text = llmbo_plot_finish(plot);
    if (!text)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory drawing the plot", path);
    return llmbo_write_file_atomic(path, text, err);
}
