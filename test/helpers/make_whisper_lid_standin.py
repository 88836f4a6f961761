#!/usr/bin/python3
# A weight-free model in the interface of sherpa-onnx's Whisper ONNX export (scripts/whisper/export-onnx.py: encoder
# `mel` [N,80,T] -> n_layer_cross_k/v; decoder tokens, self caches, cross k/v, offset -> logits over Whisper's
# multilingual vocabulary, caches), in the manner of ../shared/models/handmade/, for language identification tests.
# It cannot tell languages apart: the encoder reduces the log-mel to the mean of the lower and of the upper 40 bands,
# and the decoder's logits are -10 everywhere except <|en|> = K*(low-high) and <|fr|> = K*(high-low). Speech, louder
# low down, comes out "en"; hiss, louder high up, "fr"; and the margin sets the confidence. The metadata is the real
# export's, so the code reading it is the code a real model meets. Usage: OUT=dir /usr/bin/python3 make_whisper_lid_standin.py [K]
import os, sys, onnx
from onnx import helper, TensorProto as T
K = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
out = os.environ.get('OUT', '.')
VOCAB, SOT, EN, FR = 51865, 50258, 50259, 50265
CODES = ('en,zh,de,es,ru,ko,fr,ja,pt,tr,pl,ca,nl,ar,sv,it,id,hi,fi,vi,he,uk,el,ms,cs,ro,da,hu,ta,no,th,ur,hr,bg,lt,la,mi,ml,'
         'cy,sk,te,fa,lv,bn,sr,az,sl,kn,et,mk,br,eu,is,hy,ne,mn,bs,kk,sq,sw,gl,mr,pa,si,km,sn,yo,so,af,oc,ka,be,tg,sd,gu,am,'
         'yi,lo,uz,fo,ht,ps,tk,nn,mt,sa,lb,my,bo,tl,mg,as,tt,haw,ln,ha,ba,jw,su').split(',')
c = lambda n, dt, dims, vals: helper.make_tensor(n, dt, dims, vals)
def save(g, name, meta):
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='earshot-handmade'); m.ir_version = 8
    for k, v in meta.items():
        e = m.metadata_props.add(); e.key = k; e.value = v
    onnx.checker.check_model(m); onnx.save(m, f'{out}/{name}')
# encoder: [N,80,T] -> cross k and v [1 layer, N, 1 frame, 2 = (low mean, high mean)]
enc = helper.make_graph([
  helper.make_node('Slice', ['mel', 's0', 's40', 'ax1'], ['lo']),
  helper.make_node('Slice', ['mel', 's40', 's80', 'ax1'], ['hi']),
  helper.make_node('ReduceMean', ['lo'], ['lom'], axes=[1, 2], keepdims=1),   # [N,1,1]
  helper.make_node('ReduceMean', ['hi'], ['him'], axes=[1, 2], keepdims=1),
  helper.make_node('Concat', ['lom', 'him'], ['lh'], axis=2),                  # [N,1,2]
  helper.make_node('Unsqueeze', ['lh', 'ax0'], ['n_layer_cross_k']),          # [1,N,1,2]
  helper.make_node('Identity', ['n_layer_cross_k'], ['n_layer_cross_v']),
], 'enc', [helper.make_tensor_value_info('mel', T.FLOAT, ['N', 80, 'T'])],
  [helper.make_tensor_value_info('n_layer_cross_k', T.FLOAT, [1, 'N', 1, 2]), helper.make_tensor_value_info('n_layer_cross_v', T.FLOAT, [1, 'N', 1, 2])],
  initializer=[c('s0', T.INT64, [1], [0]), c('s40', T.INT64, [1], [40]), c('s80', T.INT64, [1], [80]), c('ax1', T.INT64, [1], [1]), c('ax0', T.INT64, [1], [0])])
meta = dict(model_type='handmade-lid', n_mels='80', n_audio_ctx='1', n_audio_state='2', n_text_layer='1', n_text_ctx='8', n_text_state='2',
            n_vocab=str(VOCAB), sot=str(SOT), eot='50257', blank_id='220', translate='50358', transcribe='50359', no_timestamps='50363',
            no_speech='50362', sot_prev='50361', sot_lm='50360', is_multilingual='1', sot_sequence=f'{SOT},{EN},50359',
            all_language_tokens=','.join(str(EN + i) for i in range(len(CODES))), all_language_codes=','.join(CODES),
            comment='handmade Whisper-shaped language identification stand-in, no weights')
save(enc, 'handmade-encoder.onnx', meta)
# decoder: logits [N, n, vocab]: -10, but <|en|> and <|fr|> from the low/high difference; caches passed through
dec = helper.make_graph([
  helper.make_node('ReduceMean', ['n_layer_cross_k'], ['lh'], axes=[0, 1, 2], keepdims=0),   # [2]
  helper.make_node('Mul', ['lh', 'sign'], ['ds']),                                          # [K*lo, -K*hi]
  helper.make_node('ReduceSum', ['ds'], ['d'], keepdims=1),                                 # [1] = K*(lo-hi)
  helper.make_node('Neg', ['d'], ['nd']),
  helper.make_node('Concat', ['a', 'd', 'b', 'nd', 'rest'], ['row'], axis=0),               # [vocab]
  helper.make_node('Shape', ['tokens'], ['ts']),
  helper.make_node('Concat', ['ts', 'vocab'], ['shape'], axis=0),
  helper.make_node('Expand', ['row', 'shape'], ['logits']),
  helper.make_node('Identity', ['in_n_layer_self_k_cache'], ['out_n_layer_self_k_cache']),
  helper.make_node('Identity', ['in_n_layer_self_v_cache'], ['out_n_layer_self_v_cache']),
], 'dec', [
  helper.make_tensor_value_info('tokens', T.INT64, ['N', 'n']),
  helper.make_tensor_value_info('in_n_layer_self_k_cache', T.FLOAT, [1, 'N', 8, 2]),
  helper.make_tensor_value_info('in_n_layer_self_v_cache', T.FLOAT, [1, 'N', 8, 2]),
  helper.make_tensor_value_info('n_layer_cross_k', T.FLOAT, [1, 'N', 'F', 2]),
  helper.make_tensor_value_info('n_layer_cross_v', T.FLOAT, [1, 'N', 'F', 2]),
  helper.make_tensor_value_info('offset', T.INT64, [1]),
], [
  helper.make_tensor_value_info('logits', T.FLOAT, ['N', 'n', VOCAB]),
  helper.make_tensor_value_info('out_n_layer_self_k_cache', T.FLOAT, [1, 'N', 8, 2]),
  helper.make_tensor_value_info('out_n_layer_self_v_cache', T.FLOAT, [1, 'N', 8, 2]),
], initializer=[c('sign', T.FLOAT, [2], [K, -K]), c('a', T.FLOAT, [EN], [-10.0] * EN), c('b', T.FLOAT, [FR - EN - 1], [-10.0] * (FR - EN - 1)),
                c('rest', T.FLOAT, [VOCAB - FR - 1], [-10.0] * (VOCAB - FR - 1)), c('vocab', T.INT64, [1], [VOCAB])])
save(dec, 'handmade-decoder.onnx', {})
with open(f'{out}/handmade-tokens.txt', 'w') as f:
    f.write('IQ== 0\n')  # the release archives ship one; language identification never reads it
print('ok')
