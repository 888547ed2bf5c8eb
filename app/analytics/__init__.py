"""The brain's multidimensional model: declared cubes asked by measure and dimension in one
aggregate query, trends with month-over-month and year-over-year change, exports, SVG charts
and the cockpit page."""
