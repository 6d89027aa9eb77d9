/* svg.h: a small SVG writer for the bench report's plots: a text buffer of SVG elements, and on
 * top of it a 2-D plot with linear or log10 axes, "nice" ticks, labels, a legend, lines, shaded
 * bands and markers. Output is a pure function of the inputs (fixed number formats), so the same
 * data give byte-identical files. Module-internal (study/). */
#ifndef LLMBO_SVG_H
#define LLMBO_SVG_H

#include "llmbo.h"

/* ---- plain SVG document ---- */
typedef struct llmbo_svg llmbo_svg;

/* A document of width x height pixels. NULL on allocation failure. */
llmbo_svg *llmbo_svg_create(double width, double height);
void llmbo_svg_free(llmbo_svg *svg);
/* Elements. Colours are SVG colour strings ("#1f77b4"); dash may be NULL (solid). An allocation
 * failure is remembered and reported by llmbo_svg_write. */
void llmbo_svg_line(llmbo_svg *svg, double x1, double y1, double x2, double y2, const char *color,
                    double width, const char *dash);
void llmbo_svg_polyline(llmbo_svg *svg, const double *x, const double *y, int n, const char *color,
                        double width, const char *dash);
void llmbo_svg_polygon(llmbo_svg *svg, const double *x, const double *y, int n, const char *fill,
                       double opacity);
void llmbo_svg_rect(llmbo_svg *svg, double x, double y, double w, double h, const char *fill,
                    const char *stroke);
/* marker: 0 circle, 1 square, 2 triangle, 3 diamond; filled or hollow. */
void llmbo_svg_marker(llmbo_svg *svg, double x, double y, double r, int marker, const char *color,
                      int filled);
/* anchor: "start", "middle" or "end"; rotate in degrees (0: horizontal). text is escaped. */
void llmbo_svg_text(llmbo_svg *svg, double x, double y, const char *anchor, double size,
                    double rotate, const char *text);
/* A number label such as 10^-3 with a superscript exponent. */
void llmbo_svg_text_pow10(llmbo_svg *svg, double x, double y, const char *anchor, double size,
                          int exponent);
/* The document text (valid until the next call); NULL after an allocation failure. */
const char *llmbo_svg_finish(llmbo_svg *svg);
/* Writes the finished document to path. */
llmbo_status llmbo_svg_write(llmbo_svg *svg, const char *path, llmbo_error *err);

/* ---- plots ---- */
typedef struct llmbo_plot llmbo_plot;

/* A plot with the given data ranges; an axis with log set is log10 (its range must be > 0).
 * The ranges are widened to nice tick values. */
llmbo_plot *llmbo_plot_create(double width, double height, const char *title, const char *xlabel,
                              const char *ylabel, double xlo, double xhi, int xlog, double ylo,
                              double yhi, int ylog);
void llmbo_plot_free(llmbo_plot *plot);
/* Data-to-pixel maps (values outside the range are clamped to the frame, NaN to the bottom). */
double llmbo_plot_px(const llmbo_plot *plot, double x);
double llmbo_plot_py(const llmbo_plot *plot, double y);
/* A shaded band between lo and hi over x (n points); non-finite points split the band. */
void llmbo_plot_band(llmbo_plot *plot, const double *x, const double *lo, const double *hi, int n,
                     const char *color);
/* A line through (x, y); non-finite points split the line. */
void llmbo_plot_line(llmbo_plot *plot, const double *x, const double *y, int n, const char *color,
                     double width, const char *dash);
/* A marker at (x, y) with an optional label beside it (NULL for none). */
void llmbo_plot_marker(llmbo_plot *plot, double x, double y, int marker, const char *color,
                       int filled, const char *label);
/* A text label for the point (x, y) (data coordinates), placed when the plot is drawn beside
 * the point where it overlaps no other label (llmbo_labels_place); a label moved away from its
 * point gets a leader line. Labels are drawn as <text class="label">. */
void llmbo_plot_label(llmbo_plot *plot, double x, double y, const char *text, const char *color);
/* Label placement (pixels): for each label in order, the first box of w x h beside its point
 * (x, y) (just above it, right then left, then one line further down or up at a time) that
 * lies inside the
 * frame [left, right] x [top, bottom] and overlaps no box placed before it; fills bx, by, bw,
 * bh (top-left corner and size). Returns the number that found no such place (they overlap,
 * right of their point); 0 unless there are more labels than the frame holds. The first n_fixed
 * entries are obstacles already placed (their boxes are given, e.g. the legend's) and are not
 * moved. */
typedef struct llmbo_label {
    double x, y, w, h;     /* in: the point and the box size */
    double bx, by, bw, bh; /* out: the box */
} llmbo_label;
int llmbo_labels_place(llmbo_label *l, int n_fixed, int n, double left, double top, double right,
                       double bottom);
/* Legend entry (line sample and/or marker, and name), in call order. marker < 0: line sample
 * only; a dash pattern also draws the line sample. */
void llmbo_plot_legend(llmbo_plot *plot, const char *name, const char *color, int marker,
                       const char *dash);
/* A line of text drawn across the middle of the frame (at most 4, in call order, red): what a
 * reader must know about an empty or partial plot. */
void llmbo_plot_note(llmbo_plot *plot, const char *text);
/* Where the legend goes: 0 top-right (default), 1 bottom-left, 2 top-left, 3 bottom-right. */
void llmbo_plot_legend_corner(llmbo_plot *plot, int corner);
/* Draws axes, ticks, grid, labels and legend over what was added and writes the file. */
llmbo_status llmbo_plot_write(llmbo_plot *plot, const char *path, llmbo_error *err);
/* The finished document text (for tests); NULL on allocation failure. Draws the frame once. */
const char *llmbo_plot_finish(llmbo_plot *plot);
/* Writes n plots stacked top to bottom into one SVG document (as wide as the widest). */
llmbo_status llmbo_plots_write_stacked(llmbo_plot *const *plots, int n, const char *path,
                                       llmbo_error *err);

/* Nice ticks of a linear range: up to max_ticks values in steps of 1, 2 or 5 x 10^k that
 * cover [lo, hi]; *step gets the step. Returns the count written to ticks. */
int llmbo_nice_ticks(double lo, double hi, int max_ticks, double *ticks, double *step);

/* The palette colour of series i (cycles after 10). */
const char *llmbo_plot_color(int i);

#endif
