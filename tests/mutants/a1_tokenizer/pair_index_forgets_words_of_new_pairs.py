"""PairIndex.merge updates the counts of new pairs but never lists their words in words_with_pair.

The counts look right after one merge; a later merge of (x, N) or (N, y) then finds no word to change.
"""

TASK = "1.5"
KIND = "mutant"


class PairIndex:
    def merge(self, pair, new_id):
        """Merge ``pair`` into ``new_id`` everywhere (bug: words_with_pair misses the new pairs)."""
        first, second = pair
        count_changes: defaultdict[Pair, int] = defaultdict(int)
        for word_index in self.words_with_pair.pop(pair, ()):
            word, word_count = self.words[word_index], self.word_counts[word_index]
            new_word: list[int] = []
            i = 0
            while i < len(word):
                if not (word[i] == first and i + 1 < len(word) and word[i + 1] == second):
                    new_word.append(word[i])
                    i += 1
                    continue
                count_changes[pair] -= word_count
                if new_word:
                    left = new_word[-1]
                    if left != new_id:
                        count_changes[(left, first)] -= word_count
                    count_changes[(left, new_id)] += word_count
                if i + 2 < len(word):
                    right = word[i + 2]
                    count_changes[(second, right)] -= word_count
                    next_is_occurrence = right == first and i + 3 < len(word) and word[i + 3] == second
                    if not next_is_occurrence:
                        count_changes[(new_id, right)] += word_count
                new_word.append(new_id)
                i += 2
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
