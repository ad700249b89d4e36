import unittest
import xml.etree.ElementTree as ET

import svg_chart

NS = "{http://www.w3.org/2000/svg}"


class ChartTest(unittest.TestCase):
    def test_nice_ticks_cover_the_range(self):
        self.assertEqual(svg_chart.nice_ticks(0, 10), [0, 2, 4, 6, 8, 10])
        ticks = svg_chart.nice_ticks(-0.23, 0.07)
        self.assertLessEqual(ticks[0], -0.23)
        self.assertGreaterEqual(ticks[-1], 0.07)
        self.assertEqual(svg_chart.nice_ticks(0, 0)[0], 0)

    def test_line_chart(self):
        svg = svg_chart.line_chart("tg128 <&>", "threads", "tok/s",
                                   {"avx2": [(1, 10.0), (2, 18.0)], "avx2-tuned": [(2, 19.0), (1, 10.5)]})
        root = ET.fromstring(svg)  # well-formed, title escaped
        lines = root.findall(f"{NS}polyline")
        self.assertEqual(len(lines), 2)
        self.assertEqual(len(root.findall(f"{NS}circle")), 4)
        self.assertIn("tg128 <&>", [t.text for t in root.iter(f"{NS}text")])
        # Points inside the canvas, higher values drawn higher (smaller y).
        width, height = float(root.get("width")), float(root.get("height"))
        points = [tuple(map(float, p.split(","))) for p in lines[0].get("points").split()]
        for x, y in points:
            self.assertTrue(0 <= x <= width and 0 <= y <= height)
        self.assertLess(points[1][1], points[0][1])
        self.assertLess(points[0][0], points[1][0])

    def test_bar_chart_with_negative_values(self):
        svg = svg_chart.bar_chart("change", "%", ["a", "b", "c"], {"change": [0.1, -0.2, 0.0]},
                                  colors=["red", "green", "grey"], percent=True)
        root = ET.fromstring(svg)
        bars = [r for r in root.findall(f"{NS}rect") if r.find(f"{NS}title") is not None]
        self.assertEqual([b.get("fill") for b in bars], ["red", "green", "grey"])
        widths = [float(b.get("width")) for b in bars]
        self.assertAlmostEqual(widths[1], 2 * widths[0], delta=0.2)
        self.assertEqual(widths[2], 0)
        # The negative bar lies left of the positive one.
        self.assertLess(float(bars[1].get("x")), float(bars[0].get("x")))

    def test_grouped_bars_and_legend(self):
        svg = svg_chart.bar_chart("roofline", "tok/s", ["x 1t", "x 2t"],
                                  {"measured": [5, 9], "roofline": [10, 20]})
        root = ET.fromstring(svg)
        bars = [r for r in root.findall(f"{NS}rect") if r.find(f"{NS}title") is not None]
        self.assertEqual(len(bars), 4)
        texts = [t.text for t in root.iter(f"{NS}text")]
        self.assertIn("measured", texts)
        self.assertIn("roofline", texts)


if __name__ == "__main__":
    unittest.main()
