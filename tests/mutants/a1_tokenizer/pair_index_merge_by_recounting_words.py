"""PairIndex.merge the simple way: for each affected word, subtract its old pair counts and add its new ones.

The docstring's slower way with the same result, written with get_pair_counts and merge_pair.
"""

TASK = "1.5"
KIND = "alternative"


class PairIndex:
    def merge(self, pair, new_id):
        """Merge ``pair`` into ``new_id`` in every word holding it, by recounting those words."""
        count_changes: Counter[Pair] = Counter()
        for word_index in self.words_with_pair.pop(pair, ()):
            old_word = self.words[word_index]
            new_word = merge_pair(old_word, pair, new_id)
            word_count = self.word_counts[word_index]
            for old_pair, occurrences in get_pair_counts(old_word).items():
                count_changes[old_pair] -= occurrences * word_count
            for new_pair, occurrences in get_pair_counts(new_word).items():
                count_changes[new_pair] += occurrences * word_count
                self.words_with_pair[new_pair].add(word_index)
            self.words[word_index] = new_word
        for changed_pair, change in count_changes.items():
            if change == 0:
                continue
            count = self.pair_counts.get(changed_pair, 0) + change
            if count > 0:
                self.pair_counts[changed_pair] = count
                heapq.heappush(self.heap, self._heap_entry(changed_pair, count))
            else:
                del self.pair_counts[changed_pair]
                self.words_with_pair.pop(changed_pair, None)
