package dev.kiln.format.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Damage to a JSON document that keeps it JSON, so it reaches the reader's checks rather than the
 * parser's: a value replaced by a boundary number, a wrong type, null or a plausible but wrong
 * string; a field removed, renamed or given another field's value; an array element duplicated
 * or removed. One input in five gets byte-level damage instead, one in eight both.
 */
final class JsonMutator implements Mutator {
  static final JsonMutator INSTANCE = new JsonMutator();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private static final List<Supplier<JsonNode>> VALUES = List.of(
      F::nullNode, () -> F.booleanNode(true), () -> F.numberNode(0), () -> F.numberNode(-1),
      () -> F.numberNode(1), () -> F.numberNode(2), () -> F.numberNode(Integer.MAX_VALUE),
      () -> F.numberNode(Integer.MIN_VALUE), () -> F.numberNode(Long.MAX_VALUE),
      () -> F.numberNode(1L << 31), () -> F.numberNode(1L << 40), () -> F.numberNode(0.5),
      () -> F.numberNode(-1e308), () -> F.numberNode(1e308),
      () -> F.numberNode(BigInteger.ONE.shiftLeft(70)), () -> F.textNode(""),
      () -> F.textNode("x"), () -> F.textNode("l2"), () -> F.textNode("ip"),
      () -> F.textNode("cosine"), () -> F.textNode("long"), () -> F.textNode("string"),
      () -> F.textNode("IVF4,PQ2"), () -> F.textNode("IVF4,Flat"), () -> F.textNode("IVF0,PQ0"),
      () -> F.textNode("IVF2147483647,Flat"), () -> F.textNode("IVF99999999999,PQ1"),
      () -> F.textNode("IVF4,PQ8x4"), () -> F.textNode("model.kiln"),
      () -> F.textNode("shard-00000.kiln"), () -> F.textNode("shard-00001.kiln"),
      () -> F.textNode("keys-00000.kiln"), () -> F.textNode("manifest.json"),
      () -> F.textNode("../model.kiln"), () -> F.textNode("00000000"),
      () -> F.textNode("FFFFFFFF"), () -> F.textNode("zzzzzzzz"), () -> F.textNode("-1"),
      () -> F.textNode("1e9"), () -> F.textNode("a".repeat(1000)), F::arrayNode,
      () -> F.arrayNode().add(F.nullNode()), F::objectNode,
      () -> F.objectNode().putNull("name"));

  private static final String[] NAMES = {
    "formatVersion", "version", "index", "metric", "dim", "count", "idType", "shards", "files",
    "name", "bytes", "crc32c", "quality", "curve", "nprobe", "recall", "k", "x"
  };

  private JsonMutator() {}

  /** A place in the tree: a field of an object or an element of an array. */
  private record Slot(JsonNode parent, String field, int index, String path) {
    JsonNode get() {
      return field != null ? parent.get(field) : parent.get(index);
    }

    void set(JsonNode v) {
      if (field != null) {
        ((ObjectNode) parent).set(field, v);
      } else {
        ((ArrayNode) parent).set(index, v);
      }
    }
  }

  @Override
  public byte[] mutate(byte[] seed, Random r, List<String> log) {
    if (r.nextInt(5) == 0) {
      return ByteMutator.INSTANCE.mutate(seed, r, log);
    }
    JsonNode root;
    try {
      root = JSON.readTree(seed);
    } catch (IOException e) {
      return ByteMutator.INSTANCE.mutate(seed, r, log);
    }
    int edits = r.nextInt(3) != 0 ? 1 : 2 + r.nextInt(2);
    for (int i = 0; i < edits; i++) {
      root = edit(root, r, log);
    }
    byte[] out;
    try {
      out = r.nextBoolean() ? JSON.writeValueAsBytes(root)
          : JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return r.nextInt(8) == 0 ? ByteMutator.INSTANCE.mutate(out, r, log) : out;
  }

  private static JsonNode edit(JsonNode root, Random r, List<String> log) {
    List<Slot> slots = new ArrayList<>();
    collect(root, "$", slots);
    if (slots.isEmpty()) {
      JsonNode v = VALUES.get(r.nextInt(VALUES.size())).get();
      log.add("$ = " + brief(v));
      return v;
    }
    Slot s = slots.get(r.nextInt(slots.size()));
    switch (r.nextInt(10)) {
      case 0, 1, 2, 3, 4: {
        JsonNode v = VALUES.get(r.nextInt(VALUES.size())).get();
        s.set(v);
        log.add(s.path() + " = " + brief(v));
        break;
      }
      case 5: {
        JsonNode old = s.get();
        if (old.isNumber()) {
          long delta = r.nextBoolean() ? 1 : -1;
          JsonNode v = F.numberNode(old.asLong() + delta);
          s.set(v);
          log.add(s.path() + " = " + v);
        } else {
          s.set(F.nullNode());
          log.add(s.path() + " = null");
        }
        break;
      }
      case 6:
        if (s.field() != null) {
          ((ObjectNode) s.parent()).remove(s.field());
        } else {
          ((ArrayNode) s.parent()).remove(s.index());
        }
        log.add("remove " + s.path());
        break;
      case 7:
        if (s.field() != null) {
          String name = NAMES[r.nextInt(NAMES.length)];
          JsonNode v = ((ObjectNode) s.parent()).remove(s.field());
          ((ObjectNode) s.parent()).set(name, v);
          log.add("rename " + s.path() + " to " + name);
        } else {
          ((ArrayNode) s.parent()).insert(s.index(), s.get().deepCopy());
          log.add("duplicate " + s.path());
        }
        break;
      default: {
        Slot other = slots.get(r.nextInt(slots.size()));
        JsonNode v = other.get().deepCopy();
        s.set(v);
        log.add(s.path() + " = copy of " + other.path());
        break;
      }
    }
    return root;
  }

  private static void collect(JsonNode node, String path, List<Slot> out) {
    if (node.isObject()) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        String p = path + "." + f;
        out.add(new Slot(node, f, -1, p));
        collect(node.get(f), p, out);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String p = path + "[" + i + "]";
        out.add(new Slot(node, null, i, p));
        collect(node.get(i), p, out);
      }
    }
  }

  private static String brief(JsonNode v) {
    String s = v.toString();
    return s.length() > 40 ? s.substring(0, 37) + "..." : s;
  }
}
