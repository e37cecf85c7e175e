// A java workout for km: threads updating a ConcurrentHashMap, an explicit GC, and a checked total.
import java.util.concurrent.ConcurrentHashMap;
import java.util.ArrayList;
import java.util.List;

public class Workout {
  public static void main(String[] args) throws Exception {
    ConcurrentHashMap<Integer, Long> map = new ConcurrentHashMap<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      final int id = t;
      Thread th = new Thread(() -> {
        for (int i = 0; i < 20000; i++) map.merge(i % 257, (long) (id + 1), Long::sum);
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) th.join();
    long total = 0;
    for (long v : map.values()) total += v;
    List<byte[]> garbage = new ArrayList<>();
    for (int i = 0; i < 2000; i++) { garbage.add(new byte[10000]); if (garbage.size() > 100) garbage.clear(); }
    System.gc();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 5; i++) sb.append(Integer.toHexString(("k" + i).hashCode()));
    System.out.println("keys=" + map.size() + " total=" + total + " hashes=" + sb);
  }
}
