# Runs one module of CPython's test suite (test.<name>) without the tests named on the command line
# (id prefixes) and prints only the counts, so a native run and a km run can be compared exactly.
import contextlib, io, sys, unittest

module, excluded = sys.argv[1], tuple(sys.argv[2:])

def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t

found = list(flatten(unittest.defaultTestLoader.loadTestsFromName(module)))
kept = [t for t in found if not t.id().startswith(excluded)] if excluded else found
# what the tests print themselves (test_threading's scheduling traces) depends on timing: kept out
with contextlib.redirect_stdout(io.StringIO()):
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(unittest.TestSuite(kept))
print(f"{module}: ran={result.testsRun} failures={len(result.failures)} errors={len(result.errors)} "
      f"skipped={len(result.skipped)} excluded={len(found) - len(kept)}")
for what, cases in (("FAIL", result.failures), ("ERROR", result.errors)):
    for case, _ in cases:
        print(what, case.id())
