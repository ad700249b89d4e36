import unittest

import regression


def metric(samples, higher_is_better=True, unit="tok/s"):
    return {"unit": unit, "higher_is_better": higher_is_better, "samples": samples}


BASE = [20.0, 20.4, 19.8, 20.1, 20.2]


class CompareTest(unittest.TestCase):
    def only(self, base, current):
        changes = regression.compare({"m": base}, {"m": current})
        self.assertEqual(len(changes), 1)
        return changes[0]

    def test_same_distribution_is_noise(self):
        c = self.only(metric(BASE), metric([20.3, 19.9, 20.0, 20.2, 20.1]))
        self.assertFalse(c.significant)
        self.assertFalse(c.regression)

    def test_slower_beyond_noise_is_a_regression(self):
        c = self.only(metric(BASE), metric([x * 0.8 for x in BASE]))
        self.assertAlmostEqual(c.change, -0.2)
        self.assertLess(c.p_value, 0.05)
        self.assertTrue(c.regression)
        self.assertEqual(regression.regressions([c]), [c])

    def test_faster_is_not_a_regression(self):
        c = self.only(metric(BASE), metric([x * 1.2 for x in BASE]))
        self.assertTrue(c.significant and c.better)
        self.assertFalse(c.regression)

    def test_lower_is_better_metrics_regress_upwards(self):
        base = metric([100, 101, 99, 100, 102], higher_is_better=False, unit="ms")
        c = self.only(base, metric([130, 131, 129, 130, 132], higher_is_better=False, unit="ms"))
        self.assertTrue(c.regression)
        c = self.only(base, metric([70, 71, 69, 70, 72], higher_is_better=False, unit="ms"))
        self.assertFalse(c.regression)

    def test_three_repetitions_cannot_be_significant(self):
        c = self.only(metric(BASE[:3]), metric([x * 0.5 for x in BASE[:3]]))
        self.assertGreaterEqual(c.p_value, 0.1)
        self.assertFalse(c.regression)

    def test_a_small_significant_change_is_not_flagged(self):
        c = self.only(metric(BASE), metric([x * 0.99 - 0.01 for x in BASE]))
        self.assertFalse(c.regression)

    def test_single_samples_are_not_tested(self):
        c = self.only(metric([10.0]), metric([5.0]))
        self.assertIsNone(c.p_value)
        self.assertFalse(c.regression)

    def test_metrics_missing_on_one_side_are_skipped(self):
        self.assertEqual(regression.compare({"a": metric(BASE)}, {"b": metric(BASE)}), [])


if __name__ == "__main__":
    unittest.main()
